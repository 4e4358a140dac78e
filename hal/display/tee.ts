/** Shows the same frames on several displays, e.g. the framebuffer and the live simulator view at once. */
import type { Display, Frame, Rect } from './display.ts';
import { QuancunError } from '../../common/errors.ts';

export class TeeDisplay implements Display {
  readonly width: number;
  readonly height: number;
  private readonly displays: Display[];

  constructor(...displays: Display[]) {
    const [first] = displays;
    if (!first) throw new QuancunError('CONFIG_INVALID', 'TeeDisplay needs at least one display');
    if (displays.some((d) => d.width !== first.width || d.height !== first.height)) {
      throw new QuancunError('CONFIG_INVALID', 'TeeDisplay: all displays must have the same size');
    }
    this.width = first.width;
    this.height = first.height;
    this.displays = displays;
  }

  async update(frame: Frame, changed: readonly Rect[]): Promise<void> {
    await Promise.all(this.displays.map((d) => d.update(frame, changed)));
  }

  async close(): Promise<void> {
    await Promise.all(this.displays.map((d) => d.close()));
  }
}
