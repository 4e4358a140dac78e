/**
 * The retained widget tree a screen function returns. Widgets carry absolute rectangles (screens lay out with
 * `layout.ts`); composite widgets (keypad, amount grid, table, banner) are built from the primitives here, so the
 * painter and the hit test know only a handful of kinds.
 */
import { contains, type Rect } from './layout.ts';
import type { UiAction } from './view-model.ts';

export type Align = 'left' | 'center' | 'right';
export type Tone = 'info' | 'ok' | 'warn' | 'error';
export type ButtonStyle = 'primary' | 'secondary' | 'danger';

interface Base {
  id: string;
  rect: Rect;
}

export interface TextStyle {
  size: number;
  color?: string;
  align?: Align;
  bold?: boolean;
  /** Wrap onto more lines before shrinking; otherwise shrink only. */
  wrap?: boolean;
}

export type Widget =
  | (Base & { kind: 'panel'; fill?: string; border?: string; radius?: number; children: Widget[] })
  | (Base & { kind: 'label'; text: string; style: TextStyle })
  | (Base & { kind: 'button'; text: string; style: TextStyle; variant: ButtonStyle; action: UiAction; disabled?: boolean })
  | (Base & { kind: 'pin-field'; digits: number; maxDigits: number })
  /** The payload's QR code (level M), drawn module by module with its quiet zone. */
  | (Base & { kind: 'qr'; payload: string })
  | (Base & { kind: 'image'; png: Uint8Array })
  /** A bar when `value` (0..1) is known, else a static spinner ring: frames are pure functions, so no animation. */
  | (Base & { kind: 'progress'; value?: number })
  | (Base & { kind: 'countdown'; seconds: number; tone: Tone });

export function panel(id: string, rect: Rect, children: Widget[], look: { fill?: string; border?: string; radius?: number } = {}): Widget {
  return { kind: 'panel', id, rect, children, ...look };
}

export function label(id: string, rect: Rect, text: string, style: TextStyle): Widget {
  return { kind: 'label', id, rect, text, style };
}

export function button(id: string, rect: Rect, text: string, action: UiAction, size: number, variant: ButtonStyle = 'secondary', disabled = false): Widget {
  return { kind: 'button', id, rect, text, action, variant, disabled, style: { size, align: 'center', bold: true, wrap: true } };
}

/** Walks the tree depth first, parents before children. */
export function* walk(widgets: readonly Widget[]): Generator<Widget> {
  for (const w of widgets) {
    yield w;
    if (w.kind === 'panel') yield* walk(w.children);
  }
}

/** The action of the topmost enabled button under the point (later siblings paint over earlier ones). */
export function hitTest(widgets: readonly Widget[], x: number, y: number): UiAction | null {
  let found: UiAction | null = null;
  for (const w of walk(widgets)) {
    if (w.kind === 'button' && !w.disabled && contains(w.rect, x, y)) found = w.action;
  }
  return found;
}
