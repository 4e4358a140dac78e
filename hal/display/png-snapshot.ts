/** A display that keeps the frame in memory and encodes it as PNG on demand: for docs, tests and headless runs. */
import { writeFile } from 'node:fs/promises';
import { createCanvas, ImageData } from '@napi-rs/canvas';
import { copyRects, type Display, type Frame, type Rect } from './display.ts';

export class PngSnapshotDisplay implements Display {
  readonly width: number;
  readonly height: number;
  private readonly pixels: Uint8Array;

  constructor(size: { width: number; height: number }) {
    this.width = size.width;
    this.height = size.height;
    this.pixels = new Uint8Array(size.width * size.height * 4);
  }

  async update(frame: Frame, changed: readonly Rect[]): Promise<void> {
    copyRects(frame, this.pixels, changed);
  }

  async png(): Promise<Buffer> {
    return encodePng({ width: this.width, height: this.height, rgba: this.pixels });
  }

  async save(path: string): Promise<void> {
    await writeFile(path, await this.png());
  }

  async close(): Promise<void> {}
}

export function encodePng(frame: Frame): Promise<Buffer> {
  const canvas = createCanvas(frame.width, frame.height);
  const data = new Uint8ClampedArray(frame.rgba.buffer, frame.rgba.byteOffset, frame.rgba.byteLength);
  canvas.getContext('2d').putImageData(new ImageData(data, frame.width, frame.height), 0, 0);
  return canvas.encode('png');
}
