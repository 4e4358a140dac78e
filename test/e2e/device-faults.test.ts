/**
 * Devices failing at a kiosk in service, as the embedded default's device handles make them fail: what the screen
 * shows, what the kiosk reports to the gateway (fault events and its retained state on the broker), and how it comes
 * back by itself. Read from the broker with a client of the test's own, not from the kiosk's objects.
 */
import test from 'ava';
import { startTestSystem } from '../support/kiosk-system.ts';
import { FAULT_TOPIC, STATE_TOPIC, watchKiosk } from '../support/kiosk-watch.ts';
import { startTestScreens, touch, touchToAmount, waitForScreen, waitForView } from '../support/kiosk-screens.ts';

const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', pin: '123456' };
test('paper out mid-day: the kiosk keeps serving, offers no receipt and says why, and reports it', async (t) => {
  const system = await startTestSystem(t);
  const watch = await watchKiosk(t, system.mqttUrl);
  const screens = await startTestScreens(t, system);
  const { ui } = screens;
  const { keypad, printer, kiosk } = system.kiosks.get('K001')!;
  await watch.next(STATE_TOPIC, { mode: 'in-service' });

  printer.device.setPaper('out');
  await printer.printer.refreshStatus();
  t.like(await watch.next(FAULT_TOPIC, { device: 'receipt-printer' }), { code: 'PRINTER_PAPER_OUT' });
  t.is(kiosk.status.reason, null, 'no paper is no reason to stop loading cards');

  await touchToAmount(screens, system, ZHANG.asn);
  keypad.once('entry', () => {
    keypad.type(ZHANG.pin);
    keypad.enter();
  });
  touch(screens, 'amount.presets.5000');
  const { view: result } = await waitForScreen(ui, 'result');
  t.like(result.result, { ok: true, amount: 5000, newBalance: 6000 });
  touch(screens, 'result.ok');
  const { view: offer } = await waitForScreen(ui, 'receipt');
  t.like(offer.receipt, { available: false, reason: 'paper-out' });

  printer.device.setPaper('ok');
  await printer.printer.refreshStatus();
  await waitForView(ui, (v) => v.screen === 'receipt' && v.receipt?.available === true, 'the receipt offered again');
});

test('door opened: out of service with DOOR_OPEN, maintenance state and a fault report; closed: back in service', async (t) => {
  const system = await startTestSystem(t);
  const watch = await watchKiosk(t, system.mqttUrl);
  const screens = await startTestScreens(t, system);
  const { io } = system.kiosks.get('K001')!;
  await waitForScreen(screens.ui, 'idle');
  t.true(io.led('ready'));

  io.openDoor();
  const { view } = await waitForScreen(screens.ui, 'out-of-service');
  t.is(view.outOfService, 'DOOR_OPEN');
  t.like(await watch.next(FAULT_TOPIC, { device: 'door' }), { code: 'DOOR_OPEN' });
  t.like(await watch.next(STATE_TOPIC, { mode: 'maintenance' }), { reason: 'DOOR_OPEN', online: true });
  t.true(io.led('fault'));
  t.false(io.led('ready'));

  io.closeDoor();
  await waitForScreen(screens.ui, 'idle');
  await watch.next(STATE_TOPIC, { mode: 'in-service' });
  t.true(io.led('ready'));
  t.false(io.led('fault'));
});

test('card reader unplugged: out of service with READER_UNAVAILABLE and reported; plugged back: a card is served again', async (t) => {
  const system = await startTestSystem(t);
  const watch = await watchKiosk(t, system.mqttUrl);
  const screens = await startTestScreens(t, system);
  const { reader } = system.kiosks.get('K001')!;
  await waitForScreen(screens.ui, 'idle');

  reader!.unplug();
  const { view } = await waitForScreen(screens.ui, 'out-of-service');
  t.is(view.outOfService, 'READER_UNAVAILABLE');
  t.like(await watch.next(FAULT_TOPIC, { device: 'card-reader' }), { code: 'READER_UNAVAILABLE' });
  await watch.next(STATE_TOPIC, { mode: 'out-of-service' });

  reader!.replug();
  await waitForScreen(screens.ui, 'idle');
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const { view: card } = await waitForScreen(screens.ui, 'card');
  t.is(card.card!.balance, 1000);
});
