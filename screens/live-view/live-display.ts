/**
 * A Display that keeps the frame the ScreenHost wrote and tells subscribers which rectangles changed, as PNG
 * patches: the live view shows exactly the pixels the board's framebuffer gets.
 */
import { EventEmitter } from 'node:events';
import { copyRects, cropRgba, fullRect, type Display, type Frame, type Rect } from '../../hal/display/display.ts';
import { encodePng } from '../../hal/display/png-snapshot.ts';

export interface Patch extends Rect {
  png: Buffer;
}

export interface LiveDisplayEvents {
  update: [changed: readonly Rect[]];
}

export class LiveDisplay extends EventEmitter<LiveDisplayEvents> implements Display {
  readonly width: number;
  readonly height: number;
  private readonly frame: Frame;

  constructor(size: { width: number; height: number }) {
    super();
    this.width = size.width;
    this.height = size.height;
    this.frame = { width: size.width, height: size.height, rgba: new Uint8Array(size.width * size.height * 4) };
  }

  async update(frame: Frame, changed: readonly Rect[]): Promise<void> {
    copyRects(frame, this.frame.rgba, changed);
    this.emit('update', changed);
  }

  /** PNG patches of the current pixels in `rects` (the whole screen when omitted). */
  patches(rects: readonly Rect[] = [fullRect(this)]): Promise<Patch[]> {
    return Promise.all(rects.map(async (r) => ({ ...r, png: await encodePng({ width: r.w, height: r.h, rgba: cropRgba(this.frame, r) }) })));
  }

  async close(): Promise<void> {
    this.removeAllListeners();
  }
}
