import test from 'ava';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { ScreenHost } from '../../screens/screen-host.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import { walk, type Widget } from '../../screens/widgets.ts';
import { within } from '../../screens/layout.ts';
import type { KioskView, Lang, UiAction } from '../../screens/view-model.ts';
import { tempDir } from '../support/temp-dir.ts';

const RESOLUTIONS = [
  { width: 800, height: 480 },
  { width: 1024, height: 600 },
  { width: 1080, height: 1920 },
];

function host(width: number, height: number): { host: ScreenHost; display: PngSnapshotDisplay } {
  const display = new PngSnapshotDisplay({ width, height });
  return { host: new ScreenHost({ display, width, height }), display };
}

function byId(widgets: readonly Widget[], id: string): Widget {
  const w = [...walk(widgets)].find((x) => x.id === id);
  if (!w) throw new Error(`no widget ${id}`);
  return w;
}

const center = (w: Widget): [number, number] => [w.rect.x + Math.floor(w.rect.w / 2), w.rect.y + Math.floor(w.rect.h / 2)];

for (const { width, height } of RESOLUTIONS) {
  test(`every screen in zh and en at ${width}x${height}: no text clipped, cut or outside its box; touch targets large`, async (t) => {
    const dir = await tempDir(t, 'quancun-screens-');
    let labels = 0;
    const problems: string[] = [];
    for (const lang of ['zh', 'en'] satisfies Lang[]) {
      for (const { name, view } of sampleViews(lang)) {
        const { host: h, display } = host(width, height);
        const report = await h.render(view);
        await writeFile(join(dir, `${name}.${lang}.${width}x${height}.png`), await display.png());
        const where = `${name} ${lang} ${width}x${height}`;
        if (report.texts.length < 4) problems.push(`${where}: only ${report.texts.length} texts`);
        for (const text of report.texts) {
          labels++;
          if (text.truncated) problems.push(`${where} ${text.id}: "${text.text}" was cut`);
          // Ink measured by the canvas may touch the box edge; a pixel of antialiasing is allowed.
          const box = { x: text.box.x - 1, y: text.box.y - 1, w: text.box.w + 2, h: text.box.h + 2 };
          if (!within(text.ink, box)) problems.push(`${where} ${text.id}: "${text.text}" ink ${JSON.stringify(text.ink)} outside ${JSON.stringify(text.box)}`);
          if (!within(text.box, { x: 0, y: 0, w: width, h: height })) problems.push(`${where} ${text.id}: box off screen`);
        }
        for (const w of walk(report.widgets)) {
          if (w.kind === 'button' && Math.min(w.rect.w, w.rect.h) < h.metrics.touchMin) problems.push(`${where} ${w.id}: touch target ${w.rect.w}x${w.rect.h} below ${h.metrics.touchMin}`);
        }
      }
    }
    t.deepEqual(problems, []);
    t.true(labels > 500, `measured ${labels} texts`);
  });
}

function amountView(): KioskView {
  const view = sampleViews('zh').find((s) => s.name === 'amount')!.view;
  return view;
}

test('touches on the keypad and presets give their actions, at positions measured on the 800x480 amount screen', async (t) => {
  const { host: h } = host(800, 480);
  const emitted: UiAction[] = [];
  h.on('action', (a) => emitted.push(a));
  await h.render(amountView());
  // Positions read off docs/screens/amount.zh.800x480.png.
  t.deepEqual(h.touch(470, 330), { type: 'key', key: '7' });
  t.deepEqual(h.touch(728, 390), { type: 'key', key: 'ok' });
  t.deepEqual(h.touch(470, 390), { type: 'key', key: 'del' });
  t.deepEqual(h.touch(70, 200), { type: 'amount-preset', fen: 2_000 });
  t.deepEqual(h.touch(330, 275), { type: 'amount-preset', fen: 50_000 });
  t.deepEqual(h.touch(728, 26), { type: 'lang', lang: 'en' });
  t.deepEqual(h.touch(708, 452), { type: 'back' });
  t.is(h.touch(200, 140), null, 'a title is not a button');
  t.is(h.touch(400, 165), null, 'the gap between presets and keypad');
  t.is(emitted.length, 7);
});

test('every keypad key and preset is hit at its centre in every resolution', async (t) => {
  for (const { width, height } of RESOLUTIONS) {
    const { host: h } = host(width, height);
    const view = amountView();
    const report = await h.render(view);
    for (const key of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'del', 'ok'] as const) {
      t.deepEqual(h.touch(...center(byId(report.widgets, `amount.keypad.${key}`))), { type: 'key', key }, `${width}x${height} ${key}`);
    }
    for (const fen of view.amount!.presets) {
      t.deepEqual(h.touch(...center(byId(report.widgets, `amount.presets.${fen}`))), { type: 'amount-preset', fen }, `${width}x${height} ${fen}`);
    }
  }
});

test('presets above what the purse can still hold are shown disabled and do not react', async (t) => {
  const { host: h } = host(800, 480);
  const view = amountView();
  // Purse limit 1000.00, balance 900.00: at most 100.00 may be loaded.
  const report = await h.render({ ...view, card: { ...view.card!, balance: 90_000 } });
  t.deepEqual(h.touch(...center(byId(report.widgets, 'amount.presets.10000'))), { type: 'amount-preset', fen: 10_000 });
  t.is(h.touch(...center(byId(report.widgets, 'amount.presets.20000'))), null);
  t.is(h.touch(...center(byId(report.widgets, 'amount.presets.50000'))), null);
});

test('a screen is a pure function of the view: the same view draws the same pixels, and a second render changes nothing', async (t) => {
  const a = host(800, 480);
  const b = host(800, 480);
  const first = await a.host.render(amountView());
  const other = await b.host.render(amountView());
  t.true(Buffer.from(first.frame.rgba).equals(Buffer.from(other.frame.rgba)));
  t.deepEqual((await a.host.render(amountView())).changed, []);
});

test('the hardware keypad gives the same actions as the screen keypad', (t) => {
  const { host: h } = host(800, 480);
  t.deepEqual(h.key('5'), { type: 'key', key: '5' });
  t.deepEqual(h.key('cancel'), { type: 'cancel' });
});
