/** Conversion of RGBA rows to the framebuffer's pixel formats (little-endian, as on ARM and x86 boards). */
import type { Frame, Rect } from './display.ts';

export type PixelFormat = 'RGB565' | 'XRGB8888';

export function bytesPerPixel(format: PixelFormat): number {
  return format === 'RGB565' ? 2 : 4;
}

/** Writes row `row` of rectangle `r` of the frame into `out` (r.w * bytesPerPixel bytes) in `format`. */
export function convertRow(frame: Frame, r: Rect, row: number, format: PixelFormat, out: Buffer): void {
  const src = frame.rgba;
  let s = ((r.y + row) * frame.width + r.x) * 4;
  if (format === 'RGB565') {
    for (let i = 0; i < r.w; i++, s += 4) {
      const v = ((src[s]! & 0xf8) << 8) | ((src[s + 1]! & 0xfc) << 3) | (src[s + 2]! >> 3);
      out[i * 2] = v & 0xff;
      out[i * 2 + 1] = v >> 8;
    }
  } else {
    for (let i = 0, o = 0; i < r.w; i++, s += 4, o += 4) {
      out[o] = src[s + 2]!;
      out[o + 1] = src[s + 1]!;
      out[o + 2] = src[s]!;
      out[o + 3] = 0xff;
    }
  }
}
