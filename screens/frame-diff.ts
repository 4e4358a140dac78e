/**
 * Which parts of a frame changed: compared in square tiles, rows of dirty tiles merged into runs, runs with the same
 * columns in consecutive tile rows merged into rectangles. Unchanged rows are skipped with one native compare each.
 */
import type { Rect } from './layout.ts';

export const TILE = 16;

export function diffFrames(prev: Uint8Array | null, next: Uint8Array, width: number, height: number, tile = TILE): Rect[] {
  if (!prev) return [{ x: 0, y: 0, w: width, h: height }];
  const a = Buffer.from(prev.buffer, prev.byteOffset, prev.byteLength);
  const b = Buffer.from(next.buffer, next.byteOffset, next.byteLength);
  const tilesX = Math.ceil(width / tile);
  const tilesY = Math.ceil(height / tile);
  const dirty = new Uint8Array(tilesX * tilesY);
  const rowBytes = width * 4;
  for (let y = 0; y < height; y++) {
    const start = y * rowBytes;
    if (a.compare(b, start, start + rowBytes, start, start + rowBytes) === 0) continue;
    const ty = Math.floor(y / tile);
    for (let tx = 0; tx < tilesX; tx++) {
      if (dirty[ty * tilesX + tx]) continue;
      const s = start + tx * tile * 4;
      const e = Math.min(start + rowBytes, s + tile * 4);
      if (a.compare(b, s, e, s, e) !== 0) dirty[ty * tilesX + tx] = 1;
    }
  }
  const rects: Rect[] = [];
  let open = new Map<string, Rect>();
  for (let ty = 0; ty < tilesY; ty++) {
    const next = new Map<string, Rect>();
    for (let tx = 0; tx < tilesX; tx++) {
      if (!dirty[ty * tilesX + tx]) continue;
      let end = tx;
      while (end + 1 < tilesX && dirty[ty * tilesX + end + 1]) end++;
      const key = `${tx}:${end}`;
      const y0 = ty * tile;
      const h = Math.min(tile, height - y0);
      const above = open.get(key);
      if (above) {
        above.h += h;
        next.set(key, above);
      } else {
        const r = { x: tx * tile, y: y0, w: Math.min(width, (end + 1) * tile) - tx * tile, h };
        rects.push(r);
        next.set(key, r);
      }
      tx = end;
    }
    open = next;
  }
  return rects;
}
