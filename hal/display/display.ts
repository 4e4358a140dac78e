/**
 * A display backend receives whole RGBA frames plus the rectangles that changed since the previous frame, and
 * puts at least those rectangles on its surface. The screen layer draws; backends only move pixels.
 */
export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** RGBA8888, row-major, `width * 4` bytes per row, opaque. */
export interface Frame {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export interface Display {
  readonly width: number;
  readonly height: number;
  /** Resolves when the changed rectangles are written to the surface. */
  update(frame: Frame, changed: readonly Rect[]): Promise<void>;
  close(): Promise<void>;
}

export function fullRect(frame: { width: number; height: number }): Rect {
  return { x: 0, y: 0, w: frame.width, h: frame.height };
}

/** Copies one rectangle of an RGBA frame into its own tightly packed buffer. */
export function cropRgba(frame: Frame, r: Rect): Buffer {
  const out = Buffer.allocUnsafe(r.w * r.h * 4);
  const rowBytes = r.w * 4;
  for (let row = 0; row < r.h; row++) {
    const start = ((r.y + row) * frame.width + r.x) * 4;
    out.set(frame.rgba.subarray(start, start + rowBytes), row * rowBytes);
  }
  return out;
}

/** Copies the given rectangles of `src` into `dst` (both frames of the same size). */
export function copyRects(src: Frame, dst: Uint8Array, rects: readonly Rect[]): void {
  for (const r of rects) {
    for (let row = 0; row < r.h; row++) {
      const start = ((r.y + row) * src.width + r.x) * 4;
      dst.set(src.rgba.subarray(start, start + r.w * 4), start);
    }
  }
}
