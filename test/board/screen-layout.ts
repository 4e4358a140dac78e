/**
 * The kiosk's screens as the host lays them out and draws them, with the same screen code, font and canvas the kiosk in
 * the guest runs: where a button is (to touch it there) and what a widget's pixels are (to find it in the guest's
 * screendump). Layout depends on the screen size and the screen kind, not on the data shown.
 */
import { loadImage, createCanvas } from '@napi-rs/canvas';
import type { Frame, Rect } from '../../hal/display/display.ts';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import { ScreenHost, type RenderReport } from '../../screens/screen-host.ts';
import type { KioskView } from '../../screens/view-model.ts';
import { walk } from '../../screens/widgets.ts';

export async function hostRender(view: KioskView, size: { width: number; height: number }): Promise<RenderReport> {
  const display = new PngSnapshotDisplay(size);
  return new ScreenHost({ display, width: size.width, height: size.height }).render(view);
}

export function widgetRect(report: RenderReport, id: string): Rect {
  for (const w of walk(report.widgets)) if (w.id === id) return w.rect;
  throw new Error(`no widget ${id} on the ${report.texts.length ? 'drawn' : 'empty'} screen`);
}

/** The middle of button `id` on the sample view `sample` (sample-views.ts) at this screen size. */
export async function buttonCenter(sample: string, id: string, size: { width: number; height: number }): Promise<{ x: number; y: number }> {
  const view = sampleViews().find((s) => s.name === sample)?.view;
  if (!view) throw new Error(`no sample view ${sample}`);
  const r = widgetRect(await hostRender(view, size), id);
  return { x: Math.round(r.x + r.w / 2), y: Math.round(r.y + r.h / 2) };
}

/** A PNG (QEMU's screendump) as RGBA pixels. */
export async function pngPixels(png: Buffer): Promise<Frame> {
  const image = await loadImage(png);
  const canvas = createCanvas(image.width, image.height);
  const ctx = canvas.getContext('2d');
  ctx.drawImage(image, 0, 0);
  return { width: image.width, height: image.height, rgba: ctx.getImageData(0, 0, image.width, image.height).data as unknown as Uint8Array };
}

/** Pixels of `rect` that differ in colour (alpha ignored: the framebuffer has none) between two frames. */
export function differingPixels(a: Frame, b: Frame, rect: Rect): number {
  let n = 0;
  for (let y = Math.floor(rect.y); y < Math.ceil(rect.y + rect.h); y++) {
    for (let x = Math.floor(rect.x); x < Math.ceil(rect.x + rect.w); x++) {
      const i = (y * a.width + x) * 4;
      const j = (y * b.width + x) * 4;
      if (a.rgba[i] !== b.rgba[j] || a.rgba[i + 1] !== b.rgba[j + 1] || a.rgba[i + 2] !== b.rgba[j + 2]) n++;
    }
  }
  return n;
}
