/**
 * The kiosk built by its entry point on a board profile of real serial backends: the PIN pad and the receipt printer
 * on pseudo-terminals (socat) with their emulators at the far end, the card field simulated. Each device missing as
 * the kiosk starts, and each vanishing later, is a fault on the broker and in the kiosk's state — out of service for
 * the reader and the PIN pad, only no receipt for the printer — and its return clears it, with no restart. Read from
 * the broker with a client of the test's own. Figures from config/embedded.json: 张三's card 10.00, PIN 123456.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { assembleKiosk, type AssembledKiosk } from '../../board/kiosk-assembly.ts';
import { kioskConfigFor } from '../../board/kiosk-config.ts';
import { silentLogger } from '../../common/log.ts';
import { pinPadKeyFor } from '../../provisioning/pin-key-injection.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { PinPadEmulator } from '../../sim/pin-pad/pin-pad-emulator.ts';
import { PrinterEmulator } from '../../sim/printer/escpos-emulator.ts';
import { startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { CLEARED_TOPIC, FAULT_TOPIC, STATE_TOPIC, watchKiosk } from '../support/kiosk-watch.ts';
import { openPtyPair, type PtyPair } from '../support/pty.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };

/** A serial device at the end of a pty pair under stable link names: plug it in, pull its cable. */
function serialDevice(dir: string, name: string, device: { attach(stream: SerialPort): void }) {
  const links = { host: join(dir, `${name}-host`), device: join(dir, `${name}-device`) };
  let pair: PtyPair | undefined;
  let port: SerialPort | undefined;
  return {
    path: links.host,
    async plug() {
      pair = await openPtyPair(links);
      port = new SerialPort({ path: pair.device, baudRate: 9600 });
      await once(port, 'open');
      device.attach(port);
    },
    // The device end is closed before socat goes: a read left pending on a dead pty would keep the process alive.
    async unplug() {
      if (port?.isOpen) await new Promise((r) => port!.close(r));
      await pair?.stop();
    },
  };
}

async function boardKiosk(t: ExecutionContext, system: TestSystem) {
  const dir = await tempDir(t);
  const pad = new PinPadEmulator({ key: pinPadKeyFor(system.loaded.config, '000000000001').toString('hex') });
  const printerDevice = new PrinterEmulator();
  const pinPad = serialDevice(dir, 'pin-pad', pad);
  const printer = serialDevice(dir, 'printer', printerDevice);
  t.teardown(async () => {
    await pinPad.unplug();
    await printer.unplug();
  });
  const reader = new SimCardReader();
  const config = kioskConfigFor(system.loaded, 'K001', { mqttUrl: system.mqttUrl, dataDir: system.dataDir });
  config.board = {
    reader: { backend: 'sim' },
    pinPad: { backend: 'serial', path: pinPad.path, baudRate: 9600 },
    printer: { backend: 'escpos-serial', path: printer.path, baudRate: 9600, pollMs: 100 },
    gpio: { backend: 'sim' },
    i2c: { backend: 'sim' },
  };
  const kiosk = await assembleKiosk(config, { log: silentLogger, version: 'test', simReader: reader });
  t.teardown(() => kiosk.stop());
  return { kiosk, reader, pad, printerDevice, pinPad, printer };
}

/** A load of 50.00 at the kiosk, the PIN typed on the pad at the far end of its serial line. */
async function load(system: TestSystem, kiosk: AssembledKiosk, reader: SimCardReader, pad: PinPadEmulator) {
  pad.once('entry', () => {
    pad.type(ZHANG.pin);
    pad.enter();
  });
  reader.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.kiosk.openSession();
  try {
    return await kiosk.kiosk.load(session, 5000);
  } finally {
    await session.channel.close();
    reader.remove();
  }
}

test('reader, PIN pad and printer missing at start: out of service and reported; each returning clears its fault, then a load is served', async (t) => {
  t.timeout(60_000);
  const system = await startTestSystem(t, { kioskIds: [] });
  const watch = await watchKiosk(t, system.mqttUrl);
  const { kiosk, reader, pad, printerDevice, pinPad, printer } = await boardKiosk(t, system);
  reader.unplug();
  await kiosk.start();

  t.like(await watch.next(FAULT_TOPIC, { device: 'card-reader' }), { code: 'READER_UNAVAILABLE' });
  t.like(await watch.next(FAULT_TOPIC, { device: 'pin-pad' }), { code: 'DEVICE_UNAVAILABLE' });
  t.like(await watch.next(FAULT_TOPIC, { device: 'receipt-printer' }), { code: 'PRINTER_OFFLINE' });
  t.like(await watch.next(STATE_TOPIC, { mode: 'out-of-service' }), { reason: 'READER_UNAVAILABLE' });

  reader.replug();
  await watch.next(CLEARED_TOPIC, { device: 'card-reader' });
  t.like(await watch.next(STATE_TOPIC, { mode: 'out-of-service' }), { reason: 'DEVICE_UNAVAILABLE' }, 'still no PIN pad');

  await pinPad.plug();
  await watch.next(CLEARED_TOPIC, { device: 'pin-pad' });
  await watch.next(STATE_TOPIC, { mode: 'in-service' });
  t.true(kiosk.kiosk.status.faults.has('receipt-printer'), 'no printer is no reason to stop loading cards');

  await printer.plug();
  await watch.next(CLEARED_TOPIC, { device: 'receipt-printer' });
  t.like(await load(system, kiosk, reader, pad), { state: 'completed', cardAfter: 6000 });
  t.true(kiosk.devices.printer!.canPrint);
  t.is(printerDevice.receipts.length, 0);
});

test('PIN pad, printer and reader vanishing in service: each a fault and out of service (or no receipt), each back by itself', async (t) => {
  t.timeout(60_000);
  const system = await startTestSystem(t, { kioskIds: [] });
  const watch = await watchKiosk(t, system.mqttUrl);
  const { kiosk, reader, pad, pinPad, printer } = await boardKiosk(t, system);
  await pinPad.plug();
  await printer.plug();
  await kiosk.start();
  await watch.next(STATE_TOPIC, { mode: 'in-service' });

  await pinPad.unplug();
  t.like(await watch.next(FAULT_TOPIC, { device: 'pin-pad' }), { code: 'DEVICE_UNAVAILABLE' });
  t.like(await watch.next(STATE_TOPIC, { mode: 'out-of-service' }), { reason: 'DEVICE_UNAVAILABLE' });
  await pinPad.plug();
  await watch.next(CLEARED_TOPIC, { device: 'pin-pad' });
  await watch.next(STATE_TOPIC, { mode: 'in-service' });

  await printer.unplug();
  t.like(await watch.next(FAULT_TOPIC, { device: 'receipt-printer' }), { code: 'PRINTER_OFFLINE' });
  t.false(kiosk.devices.printer!.canPrint, 'the receipt offer is withdrawn');
  t.is(kiosk.kiosk.status.reason, null);
  await printer.plug();
  await watch.next(CLEARED_TOPIC, { device: 'receipt-printer' });

  reader.unplug();
  t.like(await watch.next(FAULT_TOPIC, { device: 'card-reader' }), { code: 'READER_UNAVAILABLE' });
  t.like(await watch.next(STATE_TOPIC, { mode: 'out-of-service' }), { reason: 'READER_UNAVAILABLE' });
  reader.replug();
  await watch.next(CLEARED_TOPIC, { device: 'card-reader' });
  await watch.next(STATE_TOPIC, { mode: 'in-service' });
  t.like(await load(system, kiosk, reader, pad), { state: 'completed', cardAfter: 6000 });
});
