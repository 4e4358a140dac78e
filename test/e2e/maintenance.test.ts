/**
 * The technician at a kiosk whose door is open: from the out-of-service screen through the technician PIN to the
 * maintenance screen, a test print on the simulated printer, and back. The demo PIN 246810 is config/embedded.json's.
 */
import test from 'ava';
import { once } from 'node:events';
import type { PrintedReceipt } from '../../sim/printer/escpos-emulator.ts';
import { receiptText } from '../../sim/printer/render.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startTestSystem } from '../support/kiosk-system.ts';
import { startTestScreens, touch, waitForScreen, waitForView } from '../support/kiosk-screens.ts';

test('door open: technician PIN (a wrong one first), maintenance figures, test print, runtime restart, exit back to out of service, door shut, a load served', async (t) => {
  const system = await startTestSystem(t);
  const screens = await startTestScreens(t, system);
  const { ui } = screens;
  const { io, printer } = system.kiosks.get('K001')!;
  await waitForScreen(ui, 'idle');

  io.openDoor();
  await waitForScreen(ui, 'out-of-service');
  touch(screens, 'footer.kiosk');
  await waitForScreen(ui, 'maintenance-pin');
  for (const d of '135790') touch(screens, `maintenance-pin.keypad.${d}`);
  const { view: wrong } = await waitForView(ui, (v) => v.pin?.attemptsLeft === 4, 'four tries left');
  t.like(wrong.pin, { digits: 0, purpose: 'technician' });

  for (const d of '24681') touch(screens, `maintenance-pin.keypad.${d}`);
  await waitForView(ui, (v) => v.pin?.digits === 5, 'five dots');
  touch(screens, 'maintenance-pin.keypad.0');
  const { view } = await waitForScreen(ui, 'maintenance');
  t.is(view.mode, 'maintenance');
  t.like(view.maintenance, { version: '0.1.0', reader: 'ok', pinPad: 'ok', printer: 'ok', network: 'up', journalOpen: 0, lastError: 'DOOR_OPEN' });

  const printed = once(printer.device, 'receipt') as Promise<[PrintedReceipt]>;
  touch(screens, 'maintenance.test-print');
  const [page] = await printed;
  t.regex(receiptText(page, 32), /打印测试 \/ TEST PRINT[\s\S]*K001/);

  // Restart: the kiosk runtime stops and starts again (journal, devices, link) and the screen comes back.
  await waitForView(ui, (v) => v.screen === 'maintenance', 'the maintenance screen after the print');
  const restarted = once(system.kiosks.get('K001')!.kiosk.link, 'online');
  touch(screens, 'maintenance.reboot');
  await restarted;
  const { view: again } = await waitForView(ui, (v) => v.screen === 'maintenance' && v.maintenance?.network === 'up', 'maintenance after the restart');
  t.like(again.maintenance, { reader: 'ok', journalOpen: 0 });

  touch(screens, 'maintenance.exit');
  const { view: after } = await waitForScreen(ui, 'out-of-service');
  t.is(after.outOfService, 'DOOR_OPEN');
  io.closeDoor();
  await waitForScreen(ui, 'idle');

  // The restarted kiosk serves cards: a load completes.
  const result = await runLoadScenario(system, { kioskId: 'K001', amount: 5000, ...scenarioAccounts(system.loaded.config) });
  t.like(result, { state: 'completed', card: { before: 1000, after: 6000 }, tacVerified: true });
});
