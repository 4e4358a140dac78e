/**
 * `quancun run` as a person uses it: Chromium opens the live view of the running embedded default, taps a virtual card
 * in the side panel, clicks through the load on the screen image (where the controller's widget tree puts each button)
 * and types the PIN in the panel. The balance the result screen draws is the card's own.
 */
import test from 'ava';
import type { Page } from 'playwright-core';
import { startLiveSimulator, type LiveSimulator } from '../../sim/live-simulator.ts';
import { openChromium } from '../support/chromium.ts';
import { startTestSystem } from '../support/kiosk-system.ts';
import { drawnTexts, waitForScreen, waitForView, widgetCenter } from '../support/kiosk-screens.ts';

// From config/embedded.json: 张三's card (balance ¥10.00) bound to bank account 6217…0018 (¥5000.00, PIN 123456).
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', card: 1000, bank: 500_000, pin: '123456' };
const SIZE = { width: 1024, height: 600 };

/** Clicks the screen image where the widget is drawn, scaled from screen pixels to the page's canvas box. */
async function click(page: Page, live: LiveSimulator, id: string): Promise<void> {
  const { x, y } = widgetCenter(live.ui.drawn?.report.widgets ?? [], id);
  const box = (await page.locator('#screen').boundingBox())!;
  await page.mouse.click(box.x + x * (box.width / SIZE.width), box.y + y * (box.height / SIZE.height));
}

test('a load clicked through in the live view: the result screen shows the card\'s balance', async (t) => {
  const system = await startTestSystem(t);
  const live = await startLiveSimulator({ system, kioskId: 'K001', port: 0, ...SIZE });
  t.teardown(() => live.stop());
  const { ui } = live;
  const card = system.cards.get(ZHANG.asn)!;
  const { page, errors } = await openChromium(t);

  await page.goto(live.url);
  await waitForScreen(ui, 'idle');
  await page.waitForFunction(() => Number(document.body.dataset.frames) >= 1);
  const cardButton = page.locator(`button[data-card="${ZHANG.asn}"]`);
  t.regex((await cardButton.textContent())!, /张\* \*{4}0001 \(¥10\.00\)/);

  await cardButton.click();
  await waitForScreen(ui, 'card');
  await page.waitForFunction((asn) => document.querySelector(`button[data-card="${asn}"]`)!.textContent!.startsWith('●'), ZHANG.asn);
  await click(page, live, 'card.continue');
  await waitForScreen(ui, 'menu');
  await click(page, live, 'menu.load');
  await waitForScreen(ui, 'amount');
  await click(page, live, 'amount.presets.5000');
  await waitForScreen(ui, 'pin');
  await page.locator('#pin').fill(ZHANG.pin);
  await page.locator('#pin-send').click();

  const { view, report } = await waitForScreen(ui, 'result');
  t.like(view.result, { ok: true, amount: 5000, newBalance: ZHANG.card + 5000 });
  t.is(card.state().balance, ZHANG.card + 5000);
  t.true(drawnTexts(report).some((text) => text.includes('¥60.00')), 'the result screen draws the card balance');
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank - 5000);
  // The side panel reads the card too.
  await page.waitForFunction((asn) => document.querySelector(`button[data-card="${asn}"]`)!.textContent!.includes('¥60.00'), ZHANG.asn);
  t.deepEqual(errors, []);
});

test('the panel\'s network switch takes the kiosk offline for real, and back', async (t) => {
  const system = await startTestSystem(t);
  const live = await startLiveSimulator({ system, kioskId: 'K001', port: 0, ...SIZE });
  t.teardown(() => live.stop());
  const { kiosk } = system.kiosks.get('K001')!;
  await waitForScreen(live.ui, 'idle');
  live.panel.setNetwork(false);
  const { view } = await waitForView(live.ui, (v) => v.screen === 'out-of-service', 'out of service');
  t.is(view.outOfService, 'LINK_OFFLINE');
  t.false(kiosk.link.online);
  t.false((await live.panel.status()).networkUp);
  live.panel.setNetwork(true);
  await waitForScreen(live.ui, 'idle');
  t.true(kiosk.link.online);
});
