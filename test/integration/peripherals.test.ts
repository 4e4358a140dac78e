/**
 * The devices a board profile names, built by createDevices and used the way the kiosk does: a load's PIN entry and
 * receipt, the door opened mid-day, the identity read at start, and a profile error that names its path.
 */
import test from 'ava';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { createDevices } from '../../board/devices.ts';
import { writePadKey } from '../../sim/pin-pad/pad-memory.ts';
import { readBoardIdentity, writeBoardIdentity } from '../../hal/i2c/board-identity.ts';
import { formatReceipt } from '../../hal/printer/receipt.ts';
import { receiptText } from '../../sim/printer/render.ts';
import { SAMPLE } from '../../sim/printer/render-sample.ts';
import { SAMPLE_ZH_TEXT } from '../contract/printer.contract.ts';
import { tempDir } from '../support/temp-dir.ts';

const KEY = '0123456789ABCDEFFEDCBA9876543210';

test('a completed load on the simulated board: PIN block from the pad, one receipt with its QR, door events', async (t) => {
  const trace: string[] = [];
  const simPadMemory = join(await tempDir(t), 'pad.key');
  await writePadKey(simPadMemory, Buffer.from(KEY, 'hex'));
  const devices = await createDevices({ ...SIM_BOARD_PROFILE, inspector: { enabled: true } }, { inspectorSink: (l) => trace.push(l), simPadMemory });
  const { printer, pinPad, io, sim } = devices;
  t.teardown(async () => {
    await printer?.stop();
    await pinPad.stop();
    await io.stop();
  });
  await Promise.all([printer!.start(), pinPad.start(), io.start()]);

  const block = pinPad.readPinBlock({ pan12: '123456789012' });
  await once(sim.keypad!, 'entry');
  sim.keypad!.type('1234');
  sim.keypad!.enter();
  t.is((await block).toString('hex').toUpperCase(), '21B97251DB63358D'); // see test/contract/pin-pad.contract.ts

  t.true(printer!.canPrint);
  const printed = once(sim.printer!, 'receipt');
  await printer!.print(formatReceipt(SAMPLE, 'zh'));
  await printed;
  t.is(receiptText(sim.printer!.receipts[0]!, 32), SAMPLE_ZH_TEXT);
  t.true(sim.printer!.receipts[0]!.lines.some((l) => l.kind === 'qr' && l.data === '20261128120412000317'));
  t.true(trace.some((l) => l.startsWith('printer tx')), 'the inspector traced the printer');
  t.false(trace.filter((l) => l.startsWith('pin-pad')).join('\n').includes('123456789012'), 'and never the card digits');

  const door = once(io, 'door');
  sim.wiring!.openDoor();
  t.deepEqual(await door, [true]);

  await writeBoardIdentity(devices.eeprom!, { kioskId: 'QY-K0017', serial: 'S1', hardwareRevision: 'B2', provisionedAt: new Date(0) });
  t.is((await readBoardIdentity(devices.eeprom!)).kioskId, 'QY-K0017');
  sim.i2c!.lm75.setCelsius(41.5);
  t.is(await devices.thermometer!.readCelsius(), 41.5);
});

test('a board profile error names its path', async (t) => {
  const err = await t.throwsAsync(createDevices({ ...SIM_BOARD_PROFILE, printer: { backend: 'escpos-serial', path: '/dev/ttyS0', baudRate: 9600, columns: 40 } }), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.regex(err!.message, /printer\.columns/);
});

test('the onoff profile resolves lines against the sysfs tree, then reports GPIO unavailable at start without crashing', async (t) => {
  const root = await tempDir(t);
  await mkdir(join(root, 'gpiochip512'));
  await writeFile(join(root, 'gpiochip512', 'label'), 'pinctrl-bcm2711\n');
  await writeFile(join(root, 'gpiochip512', 'base'), '512\n');
  await writeFile(join(root, 'gpiochip512', 'ngpio'), '58\n');
  const devices = await createDevices({
    ...SIM_BOARD_PROFILE,
    gpio: { backend: 'onoff', sysfsRoot: root, chipLabel: 'pinctrl-bcm2711', lines: { door: 4, leds: { ready: 17, busy: 27, fault: 22 }, cardReaderPower: 23, buzzer: 24 } },
  });
  const fault = once(devices.io, 'fault');
  t.is((await t.throwsAsync(devices.io.start(), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
  t.is(((await fault)[0] as QuancunError).code, 'DEVICE_UNAVAILABLE');
});
