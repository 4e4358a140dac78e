import test from 'ava';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FbdevDisplay } from '../../hal/display/fbdev.ts';
import { makeFbFixture } from '../../hal/display/fbdev-fixture.ts';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { TeeDisplay } from '../../hal/display/tee.ts';
import { createCanvas, loadImage } from '@napi-rs/canvas';
import { ScreenHost } from '../../screens/screen-host.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import type { KioskView } from '../../screens/view-model.ts';
import { QuancunError } from '../../common/errors.ts';
import { tempDir } from '../support/temp-dir.ts';

/** An 8x4 black frame with a 2x2 block of #0B6EC5 at (3, 1). */
function tinyFrame(): { width: number; height: number; rgba: Uint8Array } {
  const rgba = new Uint8Array(8 * 4 * 4);
  for (let i = 3; i < rgba.length; i += 4) rgba[i] = 0xff;
  for (const [x, y] of [[3, 1], [4, 1], [3, 2], [4, 2]] as const) rgba.set([0x0b, 0x6e, 0xc5, 0xff], (y * 8 + x) * 4);
  return { width: 8, height: 4, rgba };
}

test('RGB565: a 2x2 block of #0B6EC5 lands as 78 0B at the right offsets, padding per row respected', async (t) => {
  const dir = await tempDir(t);
  // 8 pixels * 2 bytes = 16, stride 20: 4 bytes of padding per row.
  const fb = await makeFbFixture(dir, 'fb0', { width: 8, height: 4, bitsPerPixel: 16, stride: 20 });
  const display = await FbdevDisplay.open(fb);
  t.deepEqual(display.geometry, { width: 8, height: 4, stride: 20, format: 'RGB565' });
  await display.update(tinyFrame(), [{ x: 3, y: 1, w: 2, h: 2 }]);
  await display.close();
  // #0B6EC5 -> r 0x0b>>3 = 1, g 0x6e>>2 = 27, b 0xc5>>3 = 24 -> 1<<11 | 27<<5 | 24 = 0x0B78, little-endian 78 0B.
  const expected = Buffer.alloc(80);
  Buffer.from('780b780b', 'hex').copy(expected, 1 * 20 + 3 * 2);
  Buffer.from('780b780b', 'hex').copy(expected, 2 * 20 + 3 * 2);
  t.deepEqual(await readFile(fb.device), expected);
  t.deepEqual(display.stats, { bytesWritten: 8, writes: 2 });
});

test('XRGB8888: the same block lands as C5 6E 0B FF (B, G, R, X)', async (t) => {
  const dir = await tempDir(t);
  const fb = await makeFbFixture(dir, 'fb1', { width: 8, height: 4, bitsPerPixel: 32, stride: 36 });
  const display = await FbdevDisplay.open(fb);
  t.is(display.geometry.format, 'XRGB8888');
  await display.update(tinyFrame(), [{ x: 3, y: 1, w: 2, h: 2 }]);
  await display.close();
  const expected = Buffer.alloc(144);
  Buffer.from('c56e0bffc56e0bff', 'hex').copy(expected, 1 * 36 + 3 * 4);
  Buffer.from('c56e0bffc56e0bff', 'hex').copy(expected, 2 * 36 + 3 * 4);
  t.deepEqual(await readFile(fb.device), expected);
});

test("a row reaching the line's end carries one pixel of a neighbour line, so Linux 6.1's DRM fbdev damage is not empty", async (t) => {
  const dir = await tempDir(t);
  const fb = await makeFbFixture(dir, 'fb3', { width: 8, height: 4, bitsPerPixel: 32, stride: 32 });
  const display = await FbdevDisplay.open(fb);
  const frame = tinyFrame();
  await display.update(frame, [{ x: 5, y: 1, w: 3, h: 1 }]);
  t.deepEqual(display.stats, { bytesWritten: 16, writes: 1 }, 'pixels 5-7 of line 1 and pixel 0 of line 2');
  await display.update(frame, [{ x: 0, y: 3, w: 8, h: 1 }]);
  t.deepEqual(display.stats, { bytesWritten: 16 + 36, writes: 2 }, 'the last line and the previous line\'s last pixel');
  await display.close();
  const fresh = await makeFbFixture(dir, 'fb4', { width: 8, height: 4, bitsPerPixel: 32, stride: 32 });
  const whole = await FbdevDisplay.open(fresh);
  await whole.update(frame, [{ x: 0, y: 0, w: 8, h: 4 }]);
  await whole.close();
  // What was written matches the frame wherever it was written: the extra pixels are the frame's own.
  const [a, b] = [await readFile(fb.device), await readFile(fresh.device)];
  t.true(a.subarray(1 * 32 + 5 * 4, 2 * 32 + 4).equals(b.subarray(1 * 32 + 5 * 4, 2 * 32 + 4)));
  t.true(a.subarray(2 * 32 + 7 * 4).equals(b.subarray(2 * 32 + 7 * 4)));
});

test('unsupported pixel formats and missing sysfs files are configuration errors', async (t) => {
  const dir = await tempDir(t);
  const fb = await makeFbFixture(dir, 'fb2', { width: 8, height: 4, bitsPerPixel: 24, stride: 24 });
  const err = await t.throwsAsync(FbdevDisplay.open(fb), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  const missing = await t.throwsAsync(FbdevDisplay.open({ device: join(dir, 'fb9'), sysfsRoot: fb.sysfsRoot }), { instanceOf: QuancunError });
  t.is(missing?.code, 'CONFIG_INVALID');
});

const amount = (entered: number | null): KioskView => {
  const view = sampleViews('zh').find((s) => s.name === 'amount')!.view;
  return { ...view, amount: { ...view.amount!, entered } };
};

for (const [bpp, format] of [[16, 'RGB565'], [32, 'XRGB8888']] as const) {
  test(`${format}: a keypress writes at most 10 % of a full frame, and leaves the same bytes as a full redraw`, async (t) => {
    const dir = await tempDir(t);
    const stride = 800 * (bpp / 8);
    const fb = await makeFbFixture(dir, 'fb0', { width: 800, height: 480, bitsPerPixel: bpp, stride });
    const display = await FbdevDisplay.open(fb);
    const host = new ScreenHost({ display, width: 800, height: 480 });
    await host.render(amount(null));
    const full = stride * 480;
    // Every row reaches the line's end: each carries one pixel of its neighbour line as well (see FbdevDisplay.update).
    t.is(display.stats.bytesWritten, full + 480 * (bpp / 8), 'the first frame is written whole');
    const perKey: number[] = [];
    for (const entered of [300, 3_500, 35_000, 3_500]) {
      const before = display.stats.bytesWritten;
      await host.render(amount(entered));
      perKey.push(display.stats.bytesWritten - before);
    }
    await display.close();
    for (const bytes of perKey) t.true(bytes > 0 && bytes <= full * 0.1, `${bytes} of ${full} bytes`);
    t.log(`${format}: bytes per keypress ${perKey.join(', ')} of ${full}`);

    const fresh = await makeFbFixture(dir, 'fb1', { width: 800, height: 480, bitsPerPixel: bpp, stride });
    const freshDisplay = await FbdevDisplay.open(fresh);
    await new ScreenHost({ display: freshDisplay, width: 800, height: 480 }).render(amount(3_500));
    await freshDisplay.close();
    t.true((await readFile(fb.device)).equals(await readFile(fresh.device)));
  });
}

test('a display whose size differs from the configured screen is refused', async (t) => {
  const dir = await tempDir(t);
  const display = await FbdevDisplay.open(await makeFbFixture(dir, 'fb0', { width: 1024, height: 600, bitsPerPixel: 16, stride: 2048 }));
  const err = t.throws(() => new ScreenHost({ display, width: 800, height: 480 }), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  await display.close();
});

test('a tee shows the same frame on the framebuffer and a PNG snapshot', async (t) => {
  const dir = await tempDir(t);
  const fixture = await makeFbFixture(dir, 'fb0', { width: 8, height: 4, bitsPerPixel: 32, stride: 32 });
  const fb = await FbdevDisplay.open(fixture);
  const png = new PngSnapshotDisplay({ width: 8, height: 4 });
  const tee = new TeeDisplay(fb, png);
  await tee.update(tinyFrame(), [{ x: 0, y: 0, w: 8, h: 4 }]);
  await tee.close();
  const canvas = createCanvas(8, 4);
  canvas.getContext('2d').drawImage(await loadImage(await png.png()), 0, 0);
  t.deepEqual([...canvas.getContext('2d').getImageData(3, 1, 1, 1).data], [0x0b, 0x6e, 0xc5, 0xff]);
  t.deepEqual([...(await readFile(fixture.device)).subarray(1 * 32 + 3 * 4, 1 * 32 + 4 * 4)], [0xc5, 0x6e, 0x0b, 0xff]);
  t.throws(() => new TeeDisplay(fb, new PngSnapshotDisplay({ width: 4, height: 4 })), { instanceOf: QuancunError });
});
