/**
 * Draws KioskViews onto a Display and turns touches into UiActions. Each render paints the whole widget tree
 * (cheap with Skia), diffs it against the last frame and hands the display only the changed rectangles; touches
 * are hit-tested against the tree that is on screen.
 */
import { EventEmitter } from 'node:events';
import { createCanvas, type Canvas } from '@napi-rs/canvas';
import { QuancunError } from '../common/errors.ts';
import type { Display, Frame } from '../hal/display/display.ts';
import type { Rect } from './layout.ts';
import { diffFrames } from './frame-diff.ts';
import { registerUiFont } from './font.ts';
import { Painter, type TextRecord } from './paint.ts';
import { buildScreen } from './pages/index.ts';
import { metrics, type Metrics } from './theme.ts';
import type { KeypadKey, KioskView, Orientation, UiAction } from './view-model.ts';
import { hitTest, type Widget } from './widgets.ts';

export interface ScreenHostOptions {
  display: Display;
  width: number;
  height: number;
  /** Default: portrait when taller than wide. */
  orientation?: Orientation;
  /** A CJK font file; default DEFAULT_FONT_PATH. */
  fontPath?: string;
}

export interface RenderReport {
  changed: Rect[];
  texts: TextRecord[];
  widgets: Widget[];
  frame: Frame;
}

export interface ScreenHostEvents {
  action: [action: UiAction];
}

export class ScreenHost extends EventEmitter<ScreenHostEvents> {
  readonly metrics: Metrics;
  private readonly display: Display;
  private readonly canvas: Canvas;
  private last: Uint8Array | null = null;
  private tree: Widget[] = [];
  private queue: Promise<unknown> = Promise.resolve();

  constructor(options: ScreenHostOptions) {
    super();
    const { display, width, height } = options;
    if (display.width !== width || display.height !== height) {
      throw new QuancunError('CONFIG_INVALID', `display is ${display.width}x${display.height}, screens configured for ${width}x${height}`);
    }
    registerUiFont(options.fontPath);
    this.display = display;
    this.metrics = metrics(width, height, options.orientation ?? (height > width ? 'portrait' : 'landscape'));
    this.canvas = createCanvas(width, height);
  }

  /** Renders are queued so each one diffs against the frame before it. */
  render(view: KioskView): Promise<RenderReport> {
    const run = this.queue.then(() => this.draw(view));
    this.queue = run.catch(() => {});
    return run;
  }

  private async draw(view: KioskView): Promise<RenderReport> {
    const widgets = buildScreen(view, this.metrics);
    const painter = new Painter(this.canvas.getContext('2d'), this.metrics);
    painter.paint(widgets);
    const rgba = this.canvas.data();
    const { width, height } = this.metrics;
    const changed = diffFrames(this.last, rgba, width, height);
    const frame = { width, height, rgba };
    this.tree = widgets;
    if (changed.length > 0) await this.display.update(frame, changed);
    this.last = rgba;
    return { changed, texts: painter.texts, widgets, frame };
  }

  /** Resolves once every render queued so far is on the display: a screen that never gets there is stuck. */
  settled(): Promise<void> {
    return this.queue.then(() => {});
  }

  /** The action of the button under (x, y) on the current screen, also emitted as 'action'; null when none. */
  touch(x: number, y: number): UiAction | null {
    const action = hitTest(this.tree, x, y);
    if (action) this.emit('action', action);
    return action;
  }

  /** A hardware keypad key: the same actions as the on-screen keypad. */
  key(key: KeypadKey | 'cancel'): UiAction {
    const action: UiAction = key === 'cancel' ? { type: 'cancel' } : { type: 'key', key };
    this.emit('action', action);
    return action;
  }
}
