/**
 * Text that never overflows its box: measured with the canvas, it wraps (when allowed) and shrinks down to the
 * theme's minimum size; only past that is it cut with an ellipsis, and the cut is reported so tests catch it.
 */
import type { SKRSContext2D } from '@napi-rs/canvas';
import { FONT_FAMILY } from './theme.ts';

export interface FittedText {
  size: number;
  lines: string[];
  lineHeight: number;
  ascent: number;
  truncated: boolean;
}

export function fontSpec(size: number, bold = false): string {
  return `${bold ? 'bold ' : ''}${size}px ${FONT_FAMILY}`;
}

/** CJK characters break anywhere; other text breaks at spaces (a word longer than the line breaks by character). */
function tokens(text: string): string[] {
  return text.match(/[\u2E80-\u9FFF\uFF00-\uFFEF]|[^\s\u2E80-\u9FFF\uFF00-\uFFEF]+\s*|\s+/g) ?? [];
}

function wrapLines(ctx: SKRSContext2D, text: string, maxW: number): string[] {
  const lines: string[] = [];
  for (const paragraph of text.split('\n')) {
    let line = '';
    for (const tok of tokens(paragraph).flatMap((t) => (ctx.measureText(t.trimEnd()).width > maxW ? [...t] : [t]))) {
      const candidate = line + tok;
      if (line === '' || ctx.measureText(candidate.trimEnd()).width <= maxW) {
        line = candidate;
        continue;
      }
      lines.push(line.trimEnd());
      line = tok.trimStart();
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

function widest(ctx: SKRSContext2D, lines: readonly string[]): number {
  return Math.max(0, ...lines.map((l) => ctx.measureText(l).width));
}

function ellipsize(ctx: SKRSContext2D, line: string, maxW: number): string {
  let cut = line;
  while (cut.length > 0 && ctx.measureText(`${cut}…`).width > maxW) cut = cut.slice(0, -1);
  return `${cut}…`;
}

export function fitText(ctx: SKRSContext2D, text: string, box: { w: number; h: number }, size: number, minSize: number, opts: { wrap?: boolean; bold?: boolean }): FittedText {
  for (let s = Math.max(size, minSize); ; s = Math.max(minSize, Math.floor(s * 0.92))) {
    ctx.font = fontSpec(s, opts.bold);
    const m = ctx.measureText('国Mg');
    const ascent = m.fontBoundingBoxAscent;
    const lineHeight = Math.ceil(ascent + m.fontBoundingBoxDescent);
    const lines = opts.wrap ? wrapLines(ctx, text, box.w) : text.split('\n');
    const fits = widest(ctx, lines) <= box.w && lines.length * lineHeight <= box.h;
    if (fits) return { size: s, lines, lineHeight, ascent, truncated: false };
    if (s === minSize) {
      const kept = lines.slice(0, Math.max(1, Math.floor(box.h / lineHeight)));
      const last = kept.length - 1;
      kept[last] = ellipsize(ctx, kept[last]!, box.w);
      return { size: s, lines: kept, lineHeight, ascent, truncated: true };
    }
  }
}
