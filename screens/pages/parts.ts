/** Composite widgets shared by the screens: banner, numeric keypad, amount grid, table, card strip. */
import type { Rect } from '../layout.ts';
import { cols, grid, inset, rows } from '../layout.ts';
import type { Metrics } from '../theme.ts';
import { COLORS } from '../theme.ts';
import { button, label, panel, type Tone, type Widget } from '../widgets.ts';
import type { CardSummary, KeypadKey, Lang } from '../view-model.ts';
import { tr, yuan } from '../strings.ts';

const TONE_FILL: Record<Tone, string> = { info: '#e3f0fb', ok: '#e5f3e6', warn: '#fff2dc', error: '#fbe4e4' };
const TONE_TEXT: Record<Tone, string> = { info: COLORS.info, ok: COLORS.ok, warn: '#8a5200', error: COLORS.error };

export function banner(id: string, rect: Rect, text: string, tone: Tone, m: Metrics, size = m.font.body): Widget {
  return panel(id, rect, [label(`${id}.text`, inset(rect, m.gap, Math.round(m.gap / 2)), text, { size, color: TONE_TEXT[tone], align: 'center', bold: true, wrap: true })], {
    fill: TONE_FILL[tone],
    radius: Math.round(8 * m.unit),
  });
}

/** 1-9, then del 0 ok: the layout of the PIN pad and of phones' dial pads. */
export function keypad(id: string, rect: Rect, lang: Lang, m: Metrics): Widget {
  const keys: KeypadKey[] = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'del', '0', 'ok'];
  const cells = grid(rect, 3, 4, Math.round(m.gap * 0.8));
  const text = (k: KeypadKey): string => (k === 'del' ? tr(lang, 'del') : k === 'ok' ? tr(lang, 'ok') : k);
  return panel(
    id,
    rect,
    keys.map((key, i) => button(`${id}.${key}`, cells[i]!, text(key), { type: 'key', key }, keySize(key, m), key === 'ok' ? 'primary' : 'secondary')),
  );
}

const keySize = (key: KeypadKey, m: Metrics): number => (key.length === 1 ? m.font.big : m.font.body);

/** Preset amounts; those above what may be loaded now are disabled rather than hidden, so the grid does not jump. */
export function amountGrid(id: string, rect: Rect, presets: readonly number[], maxAllowed: number, m: Metrics, columns: number): Widget {
  const rowCount = Math.ceil(presets.length / columns);
  const cells = grid(rect, columns, rowCount, m.gap);
  return panel(
    id,
    rect,
    presets.map((fen, i) => button(`${id}.${fen}`, cells[i]!, yuan(fen), { type: 'amount-preset', fen }, m.font.title, 'primary', fen > maxAllowed)),
  );
}

export interface Column {
  weight: number;
  align?: 'left' | 'center' | 'right';
}

/** A header row and as many body rows as fit at a readable height; the caller passes the newest rows first. */
export function table(id: string, rect: Rect, columns: readonly Column[], header: readonly string[], body: readonly string[][], m: Metrics): Widget {
  const rowH = Math.max(Math.round(m.font.body * 1.8), Math.round(36 * m.unit));
  const fit = Math.max(0, Math.floor(rect.h / rowH) - 1);
  const shown = [header, ...body.slice(0, fit)];
  const lines = rows({ ...rect, h: rowH * shown.length }, shown.map(() => 1));
  const children = lines.flatMap((line, r) => {
    const cells = cols(inset(line, m.gap, 0), columns.map((c) => c.weight), m.gap);
    return shown[r]!.map((text, c) =>
      label(`${id}.${r}.${c}`, cells[c]!, text, { size: r === 0 ? m.font.small : m.font.body, color: r === 0 ? COLORS.muted : COLORS.text, align: columns[c]!.align ?? 'left', bold: r === 0 }),
    );
  });
  return panel(id, rect, children, { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) });
}

/** Masked name, masked number and balance: shown at the top of every screen of a card session. */
export function cardStrip(id: string, rect: Rect, card: CardSummary, lang: Lang, m: Metrics): Widget {
  const [who, bal] = cols(inset(rect, m.gap, 0), [3, 2], m.gap) as [Rect, Rect];
  return panel(
    id,
    rect,
    [
      label(`${id}.who`, who, `${card.maskedName}  ${card.maskedNo}`, { size: m.font.body, bold: true }),
      label(`${id}.balance`, bal, `${tr(lang, 'balance')} ${yuan(card.balance)}`, { size: m.font.body, align: 'right', bold: true, color: COLORS.primary }),
    ],
    { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) },
  );
}

/** The most a cardholder may load now: the single-load limit, capped by what the purse can still hold. */
export function maxLoadable(maxLoad: number, purseLimit: number, balance: number): number {
  return Math.max(0, Math.min(maxLoad, purseLimit - balance));
}

/** A card strip on top and the rest in two halves: side by side, or stacked in portrait with `portraitWeights`. */
export function stripAndHalves(content: Rect, m: Metrics, portraitWeights: [number, number] = [1, 1]): { strip: Rect; first: Rect; second: Rect } {
  const [strip, body] = rows(content, [-Math.round(48 * m.unit), 1], m.gap) as [Rect, Rect];
  const [first, second] = (m.orientation === 'portrait' ? rows(body, portraitWeights, m.gap * 2) : cols(body, [1, 1], m.gap * 2)) as [Rect, Rect];
  return { strip, first, second };
}

