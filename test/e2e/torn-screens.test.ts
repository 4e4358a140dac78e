/**
 * A torn load as the cardholder sees it on the kiosk screens: the re-present screen with its countdown while the
 * kiosk waits for the same card, the result once the card is back; and when it does not come back, the pending-load
 * result, then the amount written onto the card at its next tap (collect). Figures: config/embedded.json.
 */
import test from 'ava';
import { once } from 'node:events';
import type { KioskScreens } from '../../sim/live-simulator.ts';
import { startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { startTestScreens, touch, touchToAmount, waitForScreen } from '../support/kiosk-screens.ts';
import { CREDIT_FOR_LOAD, ZHANG } from '../support/torn-load.ts';

/** From idle to the PIN typed, with the card set to leave during CREDIT FOR LOAD. */
async function loadByTouches(system: TestSystem, screens: KioskScreens, when: 'before' | 'after'): Promise<void> {
  const { ui } = screens;
  const { reader, keypad } = system.kiosks.get('K001')!;
  await touchToAmount(screens, system, ZHANG.asn);
  const entry = once(keypad, 'entry');
  reader!.tear({ ins: CREDIT_FOR_LOAD, when });
  touch(screens, 'amount.presets.5000');
  await waitForScreen(ui, 'pin');
  if (!keypad.entryActive) await entry;
  keypad.type(ZHANG.pin);
  keypad.enter();
}

test('the re-present screen counts down while the kiosk waits; the card back, the result shows the credited balance', async (t) => {
  const system = await startTestSystem(t);
  const screens = await startTestScreens(t, system);
  await loadByTouches(system, screens, 'after');
  const { view } = await waitForScreen(screens.ui, 're-present');
  t.deepEqual(view.rePresent, { secondsLeft: 30, amount: 5000 });

  system.kiosks.get('K001')!.reader!.insert(system.cards.get(ZHANG.asn)!);
  const { view: result } = await waitForScreen(screens.ui, 'result');
  t.like(result.result, { ok: true, operation: 'load', amount: 5000, newBalance: 6000 });
  t.is(system.cards.get(ZHANG.asn)!.state().balance, 6000);
});

test('a card that does not come back: the result says pending, and the next tap writes the amount onto the card', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const screens = await startTestScreens(t, system);
  await loadByTouches(system, screens, 'before');
  await waitForScreen(screens.ui, 're-present');
  const { view: parked } = await waitForScreen(screens.ui, 'result');
  t.like(parked.result, { ok: false, operation: 'load', amount: 5000, code: 'LOAD_PENDING' });
  t.is(parked.result!.newBalance, undefined, 'no balance is guessed for a card that left mid-credit');
  touch(screens, 'result.ok');
  await waitForScreen(screens.ui, 'idle');

  system.kiosks.get('K001')!.reader!.insert(system.cards.get(ZHANG.asn)!);
  const { view: collected } = await waitForScreen(screens.ui, 'result');
  t.like(collected.result, { ok: true, operation: 'collect', amount: 5000, newBalance: 6000 });
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
});
