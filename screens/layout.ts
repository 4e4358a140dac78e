/** Rectangle arithmetic for screens: split a box into rows, columns or a grid by weights, with gaps. */
import type { Rect } from '../hal/display/display.ts';

export type { Rect };

export function inset(r: Rect, dx: number, dy = dx): Rect {
  return { x: r.x + dx, y: r.y + dy, w: Math.max(0, r.w - 2 * dx), h: Math.max(0, r.h - 2 * dy) };
}

/** Splits along one axis; a weight below 0 is a fixed size in pixels (its absolute value). */
function split(total: number, weights: readonly number[], gap: number): Array<[number, number]> {
  const fixed = weights.filter((w) => w < 0).reduce((a, w) => a - w, 0);
  const flex = weights.filter((w) => w > 0).reduce((a, w) => a + w, 0);
  const free = Math.max(0, total - fixed - gap * (weights.length - 1));
  const out: Array<[number, number]> = [];
  let pos = 0;
  for (const w of weights) {
    const size = Math.floor(w < 0 ? -w : (free * w) / (flex || 1));
    out.push([pos, size]);
    pos += size + gap;
  }
  return out;
}

export function rows(r: Rect, weights: readonly number[], gap = 0): Rect[] {
  return split(r.h, weights, gap).map(([y, h]) => ({ x: r.x, y: r.y + y, w: r.w, h }));
}

export function cols(r: Rect, weights: readonly number[], gap = 0): Rect[] {
  return split(r.w, weights, gap).map(([x, w]) => ({ x: r.x + x, y: r.y, w, h: r.h }));
}

/** Cells left to right, top to bottom. */
export function grid(r: Rect, columns: number, rowCount: number, gap: number): Rect[] {
  return rows(r, Array(rowCount).fill(1), gap).flatMap((row) => cols(row, Array(columns).fill(1), gap));
}

export function contains(r: Rect, x: number, y: number): boolean {
  return x >= r.x && y >= r.y && x < r.x + r.w && y < r.y + r.h;
}

export function within(inner: Rect, outer: Rect): boolean {
  return inner.x >= outer.x && inner.y >= outer.y && inner.x + inner.w <= outer.x + outer.w && inner.y + inner.h <= outer.y + outer.h;
}
