import test from 'ava';
import { once } from 'node:events';
import { request } from 'node:http';
import { ScreenHost } from '../../screens/screen-host.ts';
import { LiveDisplay } from '../../screens/live-view/live-display.ts';
import { startLiveView } from '../../screens/live-view/server.ts';
import type { SimulatorPanel, SimulatorReceipt, SimulatorStatus } from '../../screens/live-view/simulator-panel.ts';
import { encodePng } from '../../hal/display/png-snapshot.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import type { KioskView, UiAction } from '../../screens/view-model.ts';
import { QuancunError } from '../../common/errors.ts';
import { openChromium } from '../support/chromium.ts';

/** A panel that records what the page asked of the simulated hardware. */
class RecordingPanel implements SimulatorPanel {
  readonly calls: string[] = [];
  private present: string | null = null;
  private state: SimulatorStatus = { paperOut: false, networkUp: true };
  cards() {
    return [
      { id: 'c1', label: '张*明 ****3456', present: this.present === 'c1' },
      { id: 'c2', label: '李*华 ****7788', present: this.present === 'c2' },
    ];
  }
  tapCard(id: string) {
    this.calls.push(`tap ${id}`);
    this.present = id;
  }
  removeCard() {
    this.calls.push('remove');
    this.present = null;
  }
  status() {
    return this.state;
  }
  setPaperOut(on: boolean) {
    this.calls.push(`paper-out ${on}`);
    this.state = { ...this.state, paperOut: on };
  }
  setNetwork(up: boolean) {
    this.calls.push(`network ${up}`);
    this.state = { ...this.state, networkUp: up };
  }
  receipt: SimulatorReceipt | null = { text: '清源大学 圈存凭条\n金额 ¥50.00' };
  lastReceipt() {
    return this.receipt;
  }
  typePin(digits: string) {
    this.calls.push(`pin ${digits.length} digits`);
  }
}

const amountView = (entered: number | null): KioskView => {
  const view = sampleViews('zh').find((s) => s.name === 'amount')!.view;
  return { ...view, amount: { ...view.amount!, entered } };
};

test('Chromium shows the frames the ScreenHost draws, a click on a key is a touch, the panel drives the simulator', async (t) => {
  const display = new LiveDisplay({ width: 800, height: 480 });
  const host = new ScreenHost({ display, width: 800, height: 480 });
  const panel = new RecordingPanel();
  const first = await host.render(amountView(3_500));
  const live = await startLiveView({ display, screen: host, panel, port: 0 });
  t.teardown(() => live.close());
  const { page, errors } = await openChromium(t);

  await page.goto(live.url);
  await page.waitForFunction(() => Number(document.body.dataset.frames) >= 1);
  const canvasPixels = (): Promise<number[]> =>
    page.evaluate(() => Array.from((document.getElementById('screen') as HTMLCanvasElement).getContext('2d')!.getImageData(0, 0, 800, 480).data));
  t.true(Buffer.from(await canvasPixels()).equals(Buffer.from(first.frame.rgba)), 'the page shows the very pixels written');

  // The "7" key of the 800x480 amount screen, at the position the layout test measured.
  const box = (await page.locator('#screen').boundingBox())!;
  const action = once(host, 'action') as Promise<[UiAction]>;
  await page.mouse.click(box.x + 470 * (box.width / 800), box.y + 330 * (box.height / 480));
  t.deepEqual((await action)[0], { type: 'key', key: '7' });
  await page.waitForFunction(() => document.getElementById('last-action')!.textContent!.includes('"key":"7"'));

  // The runtime answers with a new view; only the changed rectangles travel, and the page matches again.
  const second = await host.render(amountView(35_700));
  t.true(second.changed.length > 0);
  await page.waitForFunction(() => Number(document.body.dataset.frames) >= 2);
  t.true(Buffer.from(await canvasPixels()).equals(Buffer.from(second.frame.rgba)), 'patched frame matches');

  await page.locator('button[data-card="c2"]').click();
  await page.locator('#paper-out').check();
  await page.locator('#pin').fill('123456');
  await page.locator('#pin-send').click();
  await page.locator('#remove').click();
  await page.waitForFunction(() => document.getElementById('receipt')!.textContent!.includes('圈存凭条'));
  await page.waitForFunction(() => !document.querySelector('button[data-card="c2"]')!.textContent!.startsWith('●'));
  t.deepEqual(panel.calls, ['tap c2', 'paper-out true', 'pin 6 digits', 'remove']);
  t.deepEqual(errors, []);
});

test('the live view listens on loopback only and refuses foreign Host headers and form posts', async (t) => {
  const display = new LiveDisplay({ width: 800, height: 480 });
  const host = new ScreenHost({ display, width: 800, height: 480 });
  const err = await t.throwsAsync(startLiveView({ display, screen: host, panel: new RecordingPanel(), host: '0.0.0.0', port: 0 }), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  const live = await startLiveView({ display, screen: host, panel: new RecordingPanel(), port: 0 });
  t.teardown(() => live.close());
  // fetch() will not send a foreign Host header; a raw request does, as a DNS-rebinding page would.
  const rebound = await new Promise<number>((resolve, reject) => {
    request(live.url, { headers: { host: 'evil.example' } }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    }).on('error', reject).end();
  });
  t.is(rebound, 403);
  const form = await fetch(new URL('/touch', live.url), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'x=1&y=1' });
  t.is(form.status, 415);
  const ok = await fetch(new URL('/touch', live.url), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"x":1,"y":1}' });
  t.deepEqual(await ok.json(), { action: null });
});

/** A receipt as the simulated printer leaves one: a long text and a tall image (576 dots wide, as 80 mm paper). */
async function longReceipt(): Promise<SimulatorReceipt> {
  const [width, height] = [576, 2400];
  const png = await encodePng({ width, height, rgba: new Uint8Array(width * height * 4).fill(255) });
  return { text: ['清源大学 圈存凭条', ...Array.from({ length: 60 }, (_, i) => `第 ${i + 1} 行 line ${i + 1} ${'-'.repeat(60)}`)].join('\n'), png };
}

test('a printed receipt beside the screen leaves the screen at its size and shape', async (t) => {
  const display = new LiveDisplay({ width: 800, height: 480 });
  const host = new ScreenHost({ display, width: 800, height: 480 });
  const panel = new RecordingPanel();
  panel.receipt = null;
  await host.render(amountView(3_500));
  const live = await startLiveView({ display, screen: host, panel, port: 0 });
  t.teardown(() => live.close());
  const { page, errors } = await openChromium(t);
  await page.goto(live.url);
  await page.waitForFunction(() => Number(document.body.dataset.frames) >= 1);
  const size = async () => {
    const box = (await page.locator('#screen').boundingBox())!;
    return { width: box.width, height: box.height };
  };
  t.deepEqual(await size(), { width: 800, height: 480 });

  panel.receipt = await longReceipt();
  await host.render(amountView(35_700)); // a frame makes the page read the panel again
  await page.waitForFunction(() => {
    const img = document.getElementById('receipt-png') as HTMLImageElement;
    return !img.hidden && img.complete && img.naturalHeight === 2400;
  });
  t.deepEqual(await size(), { width: 800, height: 480 });
  t.deepEqual(errors, []);
});

test('the page says so when the process behind it is gone, and picks up again when it is back', async (t) => {
  const display = new LiveDisplay({ width: 800, height: 480 });
  const host = new ScreenHost({ display, width: 800, height: 480 });
  await host.render(amountView(3_500));
  const live = await startLiveView({ display, screen: host, panel: new RecordingPanel(), port: 0 });
  const { page } = await openChromium(t);
  await page.goto(live.url);
  await page.waitForFunction(() => document.body.dataset.connection === 'live' && Number(document.body.dataset.frames) >= 1);
  t.false(await page.locator('#connection-lost').isVisible());

  await live.close();
  await page.waitForFunction(() => document.body.dataset.connection === 'lost');
  t.true(await page.locator('#connection-lost').isVisible());
  t.regex((await page.locator('#connection-lost').textContent())!, /^The quancun process behind this page is gone/);

  const back = await startLiveView({ display, screen: host, panel: new RecordingPanel(), port: Number(new URL(live.url).port) });
  t.teardown(() => back.close());
  await page.waitForFunction(() => document.body.dataset.connection === 'live', undefined, { timeout: 10_000 });
  t.false(await page.locator('#connection-lost').isVisible());
});
