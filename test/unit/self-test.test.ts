/**
 * The installer's self-test on the simulated board (board/devices.ts), faults put in through the simulators'
 * device-side handles; the scripted installer acts on the board the way a person would (opens the door, looks at the
 * LEDs on the wiring). The pad holds 0123456789ABCDEFFEDCBA9876543210, check value 08D7B4 (openssl, see
 * test/contract/pin-pad.contract.ts); the virtual card's ATR is 3B 87 80 01 "QUANCUN" 55.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { open, readFile, writeFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { createDevices, type Devices } from '../../board/devices.ts';
import { parseEvent } from '../../common/api/topics.ts';
import { loadConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { runSelfTest, type Installer } from '../../provisioning/self-test.ts';
import { makeFbFixture } from '../../hal/display/fbdev-fixture.ts';
import type { TouchCalibration } from '../../hal/touch/evdev-touch.ts';
import { saveTouchCalibration } from '../../provisioning/kiosk-files.ts';
import { keepReport, publishReport, reportText, selfTestReport } from '../../provisioning/self-test-report.ts';
import { issueSimulationCards } from '../../sim/card/config-cards.ts';
import { writePadKey } from '../../sim/pin-pad/pad-memory.ts';
import { tempDir } from '../support/temp-dir.ts';

async function simBoard(t: import('ava').ExecutionContext): Promise<{ devices: Devices; dataDir: string }> {
  const dataDir = await tempDir(t);
  const memory = join(dataDir, 'pad.key');
  await writePadKey(memory, Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'));
  const devices = await createDevices(SIM_BOARD_PROFILE, { simPadMemory: memory });
  devices.sim.i2c!.lm75.setCelsius(41.5);
  t.teardown(async () => {
    await devices.pinPad.stop();
    await devices.printer?.stop();
    await devices.io.stop();
  });
  await devices.pinPad.start();
  return { devices, dataDir };
}

/** Does what it is told on the simulated board; answers what it sees on the wiring, or `answers` when given. */
function scriptedInstaller(devices: Devices, o: { card?: boolean; answers?: Record<string, boolean> } = {}): Installer & { told: string[] } {
  const told: string[] = [];
  const wiring = devices.sim.wiring!;
  return {
    told,
    instruct(id) {
      told.push(id);
      if (id === 'open-door') wiring.openDoor();
      if (id === 'close-door') wiring.closeDoor();
      if (id === 'put-card' && o.card) devices.sim.reader!.insert([...issueSimulationCards(loadConfig('config/embedded.json').config).values()][0]!);
    },
    async confirm(id) {
      told.push(id);
      return o.answers?.[id] ?? (id.startsWith('led-') && wiring.led(id.slice(4) as 'ready' | 'busy' | 'fault'));
    },
  };
}

test('a healthy simulated board passes every check it has; touch and display are skipped for want of a screen', async (t) => {
  const { devices, dataDir } = await simBoard(t);
  const installer = scriptedInstaller(devices, { card: true });
  const checks = await runSelfTest(devices, installer, { padKeyCheckValue: '08D7B4', dataDir, kioskId: 'K009', cardWaitMs: 5000, actionWaitMs: 5000 });
  t.deepEqual(checks.map((c) => [c.check, c.status, c.code]), [
    ['reader', 'pass', undefined], ['pin-pad', 'pass', undefined], ['printer', 'pass', undefined], ['touch', 'skipped', undefined],
    ['display', 'skipped', undefined], ['door', 'pass', undefined], ['leds', 'pass', undefined], ['temperature', 'pass', undefined],
  ]);
  t.regex(checks[0]!.message, /card ATR 3B8780015155414E43554E55$/);
  t.regex(checks[1]!.message, /key check value 08D7B4/);
  t.is(checks[7]!.message, 'board temperature 41.5 °C');
  t.deepEqual(installer.told, ['put-card', 'open-door', 'close-door', 'led-ready', 'led-busy', 'led-fault']);
  const receipt = devices.sim.printer!.receipts[0]!;
  t.true(JSON.stringify(receipt.lines).includes('SELF-TEST'), 'a test receipt came out');
  t.false(devices.sim.wiring!.led('ready') || devices.sim.wiring!.led('busy') || devices.sim.wiring!.led('fault'), 'LEDs left off');
});

test('faults put in on the devices each fail their own check with their code; the others still run', async (t) => {
  const { devices, dataDir } = await simBoard(t);
  devices.sim.printer!.setPaper('out');
  devices.sim.i2c!.lm75.setCelsius(95);
  devices.sim.reader!.unplug();
  const installer = scriptedInstaller(devices, { answers: { 'led-busy': false } });
  const checks = await runSelfTest(devices, installer, {
    padKeyCheckValue: '7B217F', dataDir, kioskId: 'K009', cardWaitMs: 50, actionWaitMs: 5000, skip: { touch: '--no-touch' },
  });
  t.deepEqual(checks.map((c) => [c.check, c.status, c.code]), [
    ['reader', 'fail', 'READER_UNAVAILABLE'], ['pin-pad', 'fail', 'PAD_KEY_REFUSED'], ['printer', 'fail', 'PRINTER_PAPER_OUT'],
    ['touch', 'skipped', undefined], ['display', 'skipped', undefined], ['door', 'pass', undefined],
    ['leds', 'fail', 'SELF_TEST_FAILED'], ['temperature', 'fail', 'SELF_TEST_FAILED'],
  ]);
  t.is(checks[3]!.message, '--no-touch');
  t.is(checks[6]!.message, 'LED not seen lit: busy');
  t.is(checks[7]!.message, 'board temperature 95 °C is outside -10..70 °C');
  t.is(devices.sim.printer!.receipts.length, 0);

  const report = selfTestReport('QC-B-000017', checks, new Date('2025-09-01T08:40:00.000Z'));
  t.false(report.passed);
  const files = await keepReport(dataDir, 'K009', report);
  t.deepEqual(parseEvent('self-test', await readFile(files.json, 'utf8')), report);
  const text = await readFile(files.text, 'utf8');
  t.true(text.startsWith('quancun self-test of kiosk K009, board QC-B-000017, 2025-09-01T08:40:00.000Z\n'), text);
  t.true(text.includes('\n  FAIL  printer      PRINTER_PAPER_OUT: printer is out of paper\n'), text);
  t.true(text.includes('\n  SKIP  touch        --no-touch\n'), text);
  t.true(text.endsWith('5 check(s) failed.\n'), text);
  t.is(reportText('K009', report), text.trimEnd());
});

test('a door that never opens fails the door check after its wait', async (t) => {
  const { devices, dataDir } = await simBoard(t);
  const installer: Installer = { instruct() {}, confirm: async () => true };
  const checks = await runSelfTest(devices, installer, {
    padKeyCheckValue: '08D7B4', dataDir, kioskId: 'K009', actionWaitMs: 100,
    skip: { reader: 'x', 'pin-pad': 'x', printer: 'x', leds: 'x', temperature: 'x' },
  });
  t.deepEqual(checks.find((c) => c.check === 'door'), { check: 'door', status: 'fail', code: 'SELF_TEST_FAILED', message: 'the door switch did not report open within 0.1 s' });
});

test('a report that cannot be published is LINK_OFFLINE, and was kept before', async (t) => {
  const report = selfTestReport('QC-B-000017', [{ check: 'reader', status: 'pass', message: 'ok' }]);
  // port 9 (discard) on loopback: nothing listens in the test namespace
  const err = await t.throwsAsync(publishReport({ url: 'mqtt://127.0.0.1:9', kioskId: 'K009', tls: { ca: '', cert: '', key: '' }, timeoutMs: 2000 }, report), { instanceOf: QuancunError });
  t.is(err?.code, 'LINK_OFFLINE');
});

/*
 * A touch panel (a FIFO of evdev records) over a framebuffer (a fixture file) whose configured calibration (0..4095)
 * is not the panel's: it really spans x 300..3800, y 200..3900. At each cross the installer's touch is the raw value
 * the panel would send there; the check works the calibration out from the four, and keeps it.
 */
test('touch at four targets: the calibration is worked out from the touches and saved', async (t) => {
  const dataDir = await tempDir(t);
  const memory = join(dataDir, 'pad.key');
  await writePadKey(memory, Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex'));
  const fb = await makeFbFixture(dataDir, 'fb0', { width: 1000, height: 500, bitsPerPixel: 32, stride: 4000 });
  const fifo = join(dataDir, 'event0');
  execFileSync('mkfifo', [fifo]);
  const devices = await createDevices({
    ...SIM_BOARD_PROFILE,
    display: { backend: 'fbdev', ...fb },
    touch: { backend: 'evdev', device: fifo, calibration: { minX: 0, maxX: 4095, minY: 0, maxY: 4095 } },
  }, { simPadMemory: memory });
  t.teardown(async () => {
    devices.touch?.close();
    await devices.display?.close();
    await devices.pinPad.stop();
    await devices.printer?.stop();
    await devices.io.stop();
  });
  await devices.pinPad.start();
  let writer: FileHandle | undefined;
  const record = (type: number, code: number, value: number) => {
    const b = Buffer.alloc(24);
    b.writeUInt16LE(type, 16);
    b.writeUInt16LE(code, 18);
    b.writeInt32LE(value, 20);
    return b;
  };
  const board = scriptedInstaller(devices);
  const installer: Installer = {
    confirm: board.confirm,
    instruct(id, text) {
      board.instruct(id, text);
      if (!id.startsWith('touch-')) return;
      // Targets at 10% and 90% of 999 x 499 pixels: the panel's raw value there, pressed and released.
      const fx = id.endsWith('left') ? 0.1 : 0.9;
      const fy = id.startsWith('touch-top') ? 0.1 : 0.9;
      const [x, y] = [Math.round(300 + 3500 * fx), Math.round(200 + 3700 * fy)];
      void (async () => {
        writer ??= await open(fifo, 'w');
        await writer.write(Buffer.concat([record(3, 0, x), record(3, 1, y), record(1, 0x14a, 1), record(0, 0, 0), record(1, 0x14a, 0), record(0, 0, 0)]));
      })();
    },
  };
  t.teardown(() => writer?.close());

  const checks = await runSelfTest(devices, installer, { padKeyCheckValue: '08D7B4', dataDir, kioskId: 'K009', cardWaitMs: 0, actionWaitMs: 5000, skip: { display: 'x', door: 'x', leds: 'x' } });

  const touch = checks.find((c) => c.check === 'touch')!;
  t.is(touch.status, 'pass', touch.message);
  const saved = JSON.parse(await readFile(join(dataDir, 'touch-calibration.json'), 'utf8')) as { calibration: Record<string, number> };
  for (const [axis, truth] of Object.entries({ minX: 300, maxX: 3800, minY: 200, maxY: 3900 })) {
    t.true(Math.abs(saved.calibration[axis]! - truth) <= 5, `${axis} ${saved.calibration[axis]} for ${truth}`);
  }
  t.regex(touch.message, /^four targets touched; calibration x \d+\.\.\d+, y \d+\.\.\d+ saved$/);

  // Provisioning puts it in the kiosk's config, where the kiosk's touch mapping reads it from.
  const configPath = join(dataDir, 'kiosk.json');
  const profile = { ...SIM_BOARD_PROFILE, touch: { backend: 'evdev', device: fifo, calibration: { minX: 0, maxX: 4095, minY: 0, maxY: 4095 }, rotation: 90 } };
  await writeFile(configPath, JSON.stringify({ kiosk: { id: 'K009' }, board: profile }));
  await saveTouchCalibration(configPath, saved.calibration as unknown as TouchCalibration);
  t.deepEqual(JSON.parse(await readFile(configPath, 'utf8')).board.touch, { ...profile.touch, calibration: saved.calibration });
});
