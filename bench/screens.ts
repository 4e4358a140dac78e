/**
 * Touch-to-framebuffer latency and bytes per keypress, on the amount screen at 800x480, with the fbdev backend
 * writing to a regular file. Each sample: ScreenHost.touch() on a keypad key -> the next view -> render() resolves
 * after the changed rectangles are written. Run: npx tsx bench/screens.ts [samples=300]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FbdevDisplay } from '../hal/display/fbdev.ts';
import { makeFbFixture } from '../hal/display/fbdev-fixture.ts';
import { ScreenHost } from '../screens/screen-host.ts';
import { sampleViews } from '../screens/sample-views.ts';
import type { KioskView, UiAction } from '../screens/view-model.ts';
import { walk } from '../screens/widgets.ts';

const SAMPLES = Number(process.argv[2] ?? 300);
/** Keypresses before measuring: a kiosk runs for days, so JIT warm-up is not what a cardholder meets. */
const WARMUP = 30;
const P99_TARGET_MS = 16;
const BYTES_TARGET = 0.1;

/** What the load flow would do with the key: whole yuan typed, at most 4 digits. */
function next(view: KioskView, action: UiAction | null): KioskView {
  if (action?.type !== 'key' || !view.amount) throw new Error(`unexpected ${JSON.stringify(action)}`);
  const yuan = Math.floor((view.amount.entered ?? 0) / 100);
  const typed = action.key === 'del' ? Math.floor(yuan / 10) : action.key === 'ok' ? yuan : Math.min(9999, yuan * 10 + Number(action.key));
  return { ...view, amount: { ...view.amount, entered: typed === 0 ? null : typed * 100 } };
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function run(bitsPerPixel: 16 | 32, dir: string): Promise<string[]> {
  const stride = 800 * (bitsPerPixel / 8);
  const display = await FbdevDisplay.open(await makeFbFixture(dir, `fb${bitsPerPixel}`, { width: 800, height: 480, bitsPerPixel, stride }));
  const host = new ScreenHost({ display, width: 800, height: 480 });
  let view = sampleViews('zh').find((s) => s.name === 'amount')!.view;
  view = { ...view, amount: { ...view.amount!, entered: null } };
  const first = await host.render(view);
  const fullFrame = display.stats.bytesWritten;
  const keys = ['1', '2', '3', 'del', 'del', 'del'].map((k) => {
    const w = [...walk(first.widgets)].find((x) => x.id === `amount.keypad.${k}`)!;
    return [w.rect.x + w.rect.w / 2, w.rect.y + w.rect.h / 2] as const;
  });
  const latencies: number[] = [];
  const bytes: number[] = [];
  for (let i = -WARMUP; i < SAMPLES; i++) {
    const [x, y] = keys[(i + WARMUP) % keys.length]!;
    const before = display.stats.bytesWritten;
    const start = performance.now();
    view = next(view, host.touch(x, y));
    await host.render(view);
    if (i < 0) continue;
    latencies.push(performance.now() - start);
    bytes.push(display.stats.bytesWritten - before);
  }
  await display.close();
  latencies.sort((a, b) => a - b);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  const maxBytes = Math.max(...bytes);
  const meanBytes = bytes.reduce((a, b) => a + b, 0) / bytes.length;
  const share = maxBytes / fullFrame;
  return [
    bitsPerPixel === 16 ? 'RGB565' : 'XRGB8888',
    p50.toFixed(2),
    p99.toFixed(2),
    Math.round(meanBytes).toString(),
    maxBytes.toString(),
    fullFrame.toString(),
    `${(share * 100).toFixed(2)} %`,
    p99 <= P99_TARGET_MS && share <= BYTES_TARGET ? 'ok' : 'MISSED',
  ];
}

const dir = await mkdtemp(join(tmpdir(), 'quancun-bench-'));
try {
  const header = ['format', 'p50 ms', 'p99 ms', 'mean B/key', 'max B/key', 'full frame B', 'max share', `p99<=${P99_TARGET_MS}ms, share<=${BYTES_TARGET * 100}%`];
  const rows = [header, await run(16, dir), await run(32, dir)];
  const widths = header.map((_, c) => Math.max(...rows.map((r) => r[c]!.length)));
  console.log(`touch -> fbdev write finished, ${SAMPLES} keypresses (after ${WARMUP} warm-up) on the 800x480 amount screen`);
  for (const r of rows) console.log(r.map((cell, c) => cell.padStart(widths[c]!)).join('  '));
  if (rows.slice(1).some((r) => r.at(-1) !== 'ok')) process.exitCode = 1;
} finally {
  await rm(dir, { recursive: true, force: true });
}
