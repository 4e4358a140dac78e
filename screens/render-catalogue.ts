/**
 * Writes every sample screen as PNG: zh and en at 800x480, plus portrait 1080x1920 idle and amount, and the
 * cardholder services' screens (缴费, 补助领取, 查询) in both languages at 1024x600 and 1080x1920 too.
 * Usage: npx tsx screens/render-catalogue.ts [outDir=docs/screens] [fontPath]
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { PngSnapshotDisplay } from '../hal/display/png-snapshot.ts';
import { ScreenHost } from './screen-host.ts';
import { sampleViews } from './sample-views.ts';
import type { KioskView, Lang } from './view-model.ts';

/** The screens of the services beside the load: the menu that leads to them, fees, subsidies, the records. */
const SERVICE_SCREENS = new Set([
  'menu', 'fees-billers', 'fee-account', 'fee-account-unknown', 'fee-amount', 'result-fee-pending', 'result-fee-refund', 'pending', 'result-subsidy',
  'result-subsidy-expired', 'records', 'campus-records', 'campus-records-empty',
]);

export async function renderCatalogue(outDir: string, fontPath?: string): Promise<string[]> {
  await mkdir(outDir, { recursive: true });
  const written: string[] = [];
  const save = async (name: string, view: KioskView, width: number, height: number): Promise<void> => {
    const display = new PngSnapshotDisplay({ width, height });
    await new ScreenHost({ display, width, height, ...(fontPath ? { fontPath } : {}) }).render(view);
    const path = join(outDir, name);
    await display.save(path);
    written.push(path);
  };
  for (const lang of ['zh', 'en'] satisfies Lang[]) {
    for (const { name, view } of sampleViews(lang)) await save(`${name}.${lang}.800x480.png`, view, 800, 480);
  }
  for (const { name, view } of sampleViews('zh').filter((s) => s.name === 'idle' || s.name === 'amount')) {
    await save(`${name}.zh.1080x1920.png`, view, 1080, 1920);
  }
  for (const lang of ['zh', 'en'] satisfies Lang[]) {
    for (const { name, view } of sampleViews(lang).filter((s) => SERVICE_SCREENS.has(s.name))) {
      for (const [width, height] of [[1024, 600], [1080, 1920]] as const) await save(`${name}.${lang}.${width}x${height}.png`, view, width, height);
    }
  }
  return written;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const written = await renderCatalogue(process.argv[2] ?? 'docs/screens', process.argv[3]);
  console.log(`wrote ${written.length} screens`);
}
