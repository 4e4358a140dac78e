/**
 * Linux framebuffer backend. Geometry and pixel format come from sysfs (/sys/class/graphics/fbN/{virtual_size,
 * bits_per_pixel,stride}); only the changed rectangles are converted and written, with positional writes, so a
 * keypress costs a few kilobytes instead of a full frame. Sysfs root and device path are configurable so tests can
 * use a fixture dir and a regular file.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import type { Display, Frame, Rect } from './display.ts';
import { bytesPerPixel, convertRow, type PixelFormat } from './pixel-format.ts';

export interface FbdevOptions {
  /** Default /dev/fb0. */
  device?: string;
  /** Default /sys/class/graphics. */
  sysfsRoot?: string;
}

export interface FbGeometry {
  width: number;
  height: number;
  stride: number;
  format: PixelFormat;
}

export interface FbdevStats {
  bytesWritten: number;
  writes: number;
}

export async function readFbGeometry(device: string, sysfsRoot: string): Promise<FbGeometry> {
  const dir = join(sysfsRoot, basename(device));
  const read = async (name: string): Promise<string> => {
    try {
      return (await readFile(join(dir, name), 'utf8')).trim();
    } catch (err) {
      throw new QuancunError('CONFIG_INVALID', `framebuffer ${device}: cannot read ${join(dir, name)}`, { device }, { cause: err });
    }
  };
  const [size, bpp, stride] = await Promise.all([read('virtual_size'), read('bits_per_pixel'), read('stride')]);
  const [width, height] = size.split(',').map(Number);
  const formats: Record<string, PixelFormat> = { '16': 'RGB565', '32': 'XRGB8888' };
  const format = formats[bpp];
  if (!format) throw new QuancunError('CONFIG_INVALID', `framebuffer ${device}: ${bpp} bits per pixel is not supported (16 or 32)`, { device });
  if (!width || !height || !(Number(stride) >= width * bytesPerPixel(format))) {
    throw new QuancunError('CONFIG_INVALID', `framebuffer ${device}: bad geometry ${size} stride ${stride}`, { device });
  }
  return { width, height, stride: Number(stride), format };
}

export class FbdevDisplay implements Display {
  readonly width: number;
  readonly height: number;
  readonly geometry: FbGeometry;
  readonly stats: FbdevStats = { bytesWritten: 0, writes: 0 };
  private fd: number | null;
  /** One row, plus room for one pixel of a neighbouring line (see update()). */
  private readonly row: Buffer;
  private readonly rowAfterPixel: Buffer;
  private readonly pixel: Buffer;

  private constructor(fd: number, geometry: FbGeometry) {
    this.fd = fd;
    this.geometry = geometry;
    this.width = geometry.width;
    this.height = geometry.height;
    const bpp = bytesPerPixel(geometry.format);
    this.row = Buffer.alloc((geometry.width + 1) * bpp);
    this.rowAfterPixel = this.row.subarray(bpp);
    this.pixel = Buffer.alloc(bpp);
  }

  static async open(options: FbdevOptions = {}): Promise<FbdevDisplay> {
    const device = options.device ?? '/dev/fb0';
    const geometry = await readFbGeometry(device, options.sysfsRoot ?? '/sys/class/graphics');
    try {
      return new FbdevDisplay(openSync(device, 'r+'), geometry);
    } catch (err) {
      throw new QuancunError('CONFIG_INVALID', `framebuffer ${device}: cannot open`, { device }, { cause: err });
    }
  }

  /**
   * Synchronous writes on purpose: a framebuffer write is a memory copy, and a thread-pool hop per row costs latency.
   * A DRM framebuffer with a shadow buffer (Linux 6.1's fbdev emulation: bochs, virtio-gpu, …) turns each write into
   * a damage rectangle, and computes an empty one for a write confined to one scanline that ends exactly at the line's
   * end: such a row never reached the screen. A row like that carries one neighbouring pixel of the same frame too (the
   * next line's first, or on the last line the previous line's last), so its write spans two scanlines.
   */
  async update(frame: Frame, changed: readonly Rect[]): Promise<void> {
    if (this.fd === null) throw new QuancunError('INTERNAL', 'framebuffer is closed');
    const { stride, format } = this.geometry;
    const bpp = bytesPerPixel(format);
    const padded = stride > this.width * bpp;
    for (const r of changed) {
      const reachesLineEnd = !padded && r.x + r.w === this.width;
      for (let row = 0; row < r.h; row++) {
        const y = r.y + row;
        let offset = y * stride + r.x * bpp;
        let len = r.w * bpp;
        if (reachesLineEnd && y + 1 < this.height) {
          convertRow(frame, r, row, format, this.row);
          convertRow(frame, { x: 0, y: y + 1, w: 1, h: 1 }, 0, format, this.pixel);
          this.pixel.copy(this.row, len);
          len += bpp;
        } else if (reachesLineEnd) {
          convertRow(frame, { x: this.width - 1, y: y - 1, w: 1, h: 1 }, 0, format, this.row);
          convertRow(frame, r, row, format, this.rowAfterPixel);
          offset -= bpp;
          len += bpp;
        } else {
          convertRow(frame, r, row, format, this.row);
        }
        writeSync(this.fd, this.row, 0, len, offset);
        this.stats.bytesWritten += len;
        this.stats.writes++;
      }
    }
  }

  async close(): Promise<void> {
    if (this.fd !== null) closeSync(this.fd);
    this.fd = null;
  }
}
