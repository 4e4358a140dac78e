/**
 * The kiosk on the virtual board (docs/virtual-board.md): `quancun kiosk` started by systemd from the project's own
 * deploy/quancun-kiosk.service, on the board profile's real backends — the screen on /dev/fb0, touches through the
 * guest's evdev tablet, the PIN pad and the printer on /dev/ttyS1 and /dev/ttyS2 with their emulators on the host's
 * ptys, the door and LEDs on gpio-sim lines, the EEPROM and thermometer on i2c-stub, the reader through the guest's
 * pcscd + vpcd with a virtual card put in from the host. The broker, gateway and bank simulator run on the host and
 * are reached only through a forwarded loopback port. Figures from config/embedded.json: 张三's card 10.00, PIN 123456.
 */
import anyTest, { type ExecutionContext, type TestFn } from 'ava';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SerialPort } from 'serialport';
import { kioskConfigFor } from '../../board/kiosk-config.ts';
import { loadConfig } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { pinPadKeyFor } from '../../provisioning/pin-key-injection.ts';
import type { Frame, Rect } from '../../hal/display/display.ts';
import { sampleViews } from '../../screens/sample-views.ts';
import type { KioskView } from '../../screens/view-model.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';
import type { CardDevice } from '../../sim/card/card-device.ts';
import type { VirtualCard } from '../../sim/card/virtual-card.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../sim/embedded-system.ts';
import { startNetworkCable, type NetworkCable } from '../../sim/network/network-cable.ts';
import { CLEARED_TOPIC, FAULT_TOPIC, STATE_TOPIC, watchKiosk } from '../support/kiosk-watch.ts';
import { PinPadEmulator } from '../../sim/pin-pad/pin-pad-emulator.ts';
import { PrinterEmulator, type PrintedReceipt } from '../../sim/printer/escpos-emulator.ts';
import { receiptText } from '../../sim/printer/render.ts';
import { bootGuest, GUEST_PATHS, HOST_SERVICES_ADDRESS, pollUntil, SCREEN, type Guest, sh } from './guest.ts';
import { buttonCenter, differingPixels, hostRender, pngPixels, widgetRect } from './screen-layout.ts';

interface Context {
  guest: Guest;
  system: EmbeddedSystem;
  /** Between the guest's forwarded port and the broker: pulled to cut the kiosk's network at a chosen moment. */
  cable: NetworkCable;
  /** The card as the host's vpcd connector presents it, calling `onCredit` once a CREDIT FOR LOAD was applied. */
  card: CreditWatch;
  pad: PinPadEmulator;
  printer: PrinterEmulator;
  ports: SerialPort[];
  vpcd: VpcdConnector;
  dataDir: string;
  /** The expected screens, drawn in the guest (render-views.ts) by name. */
  drawn: Map<string, Frame>;
}
const test = anyTest.serial as TestFn<Context>;

const EMBEDDED = join(import.meta.dirname, '../../config/embedded.json');
const ZHANG = { asn: '31030000002023010001', pin: '123456' };
const CREDIT_FOR_LOAD = 0x52;

/** The virtual card as the host's vpcd connector presents it: every APDU passes through, and a callback follows a CREDIT FOR LOAD. */
class CreditWatch implements CardDevice {
  onCredit: (() => void) | undefined;
  constructor(readonly card: VirtualCard) {}
  get atr(): Buffer {
    return this.card.atr;
  }
  reset(): void {
    this.card.reset();
  }
  transmit(apdu: Buffer): Buffer {
    const answer = this.card.transmit(apdu);
    if (apdu[1] === CREDIT_FOR_LOAD) this.onCredit?.();
    return answer;
  }
}
const GUEST_BROKER_PORT = 1883;
/**
 * How long one step at the board may take: a screen, a receipt, a message from the kiosk. A test's own timeout is
 * above the sum of its steps' bounds, so a step that never comes fails with its own message and the kiosk's log
 * rather than as ava's bare "Test timeout exceeded".
 */
const BOARD_WAIT_MS = 120_000;
/** A test's timeout: the bounds of its `steps` in BOARD_WAIT_MS, and a minute more. */
const stepsTimeout = (steps: number) => steps * BOARD_WAIT_MS + 60_000;
const UNIT = 'quancun-kiosk.service';
const P = GUEST_PATHS.project;


/** The kiosk's own file on the board: every device on its real backend, the broker through the forwarded port. */
function boardKioskConfig(gpioChip: string) {
  const config = kioskConfigFor(loadConfig(EMBEDDED), 'K001', { mqttUrl: `mqtt://${HOST_SERVICES_ADDRESS}:${GUEST_BROKER_PORT}`, dataDir: '/var/lib/quancun' });
  config.board = {
    reader: { backend: 'pcsc', name: 'Virtual PCD 00 00' },
    // An emulated CPU on a shared host answers in seconds what a Pi answers in milliseconds.
    pinPad: { backend: 'serial', path: '/dev/ttyS1', baudRate: 9600, answerTimeoutMs: 10_000 },
    printer: { backend: 'escpos-serial', path: '/dev/ttyS2', baudRate: 9600, pollMs: 1000, answerTimeoutMs: 3000 },
    gpio: { backend: 'onoff', chipLabel: gpioChip, lines: { door: 0, leds: { ready: 1, busy: 2, fault: 3 }, cardReaderPower: 4, buzzer: 5 }, doorOpenLevel: 1, relayActiveLow: false },
    i2c: { backend: 'i2c-bus', bus: 1 },
    display: { backend: 'fbdev', device: '/dev/fb0' },
    touch: { backend: 'evdev', device: '/dev/input/touchscreen', calibration: { minX: 0, maxX: 32767, minY: 0, maxY: 32767 } },
  };
  return config;
}

test.before(async (t) => {
  t.timeout(900_000, 'building the image (first run only), booting under TCG, starting the kiosk');
  // The unit runs the compiled CLI, as a board does: dist/ is built here and reaches the guest with the project.
  await promisify(execFile)('npm', ['run', 'build'], { cwd: join(import.meta.dirname, '../..') });
  const dataDir = await mkdtemp(join(tmpdir(), 'quancun-board-host-'));
  t.context.dataDir = dataDir;
  const loaded = loadConfig(EMBEDDED);
  const system = await startEmbeddedSystem({ loaded, log: silentLogger, dataDir, kioskIds: [] });
  t.context.system = system;
  const cable = await startNetworkCable(system.mqttUrl);
  t.context.cable = cable;
  t.context.card = new CreditWatch(system.cards.get(ZHANG.asn)!);
  const guest = await bootGuest({ forwards: [{ guestPort: GUEST_BROKER_PORT, hostPort: Number(new URL(cable.url).port) }] });
  t.context.guest = guest;

  // The devices at the far end of the guest's serial lines, on the host: the PIN pad holds the key injected at provisioning.
  const pad = new PinPadEmulator({ key: pinPadKeyFor(loaded.config, '000000000001').toString('hex') });
  const printer = new PrinterEmulator();
  t.context.ports = [];
  for (const [device, path] of [[pad, guest.ptys.ttyS1], [printer, guest.ptys.ttyS2]] as const) {
    const port = new SerialPort({ path, baudRate: 9600 });
    await once(port, 'open');
    device.attach(port);
    t.context.ports.push(port);
  }
  Object.assign(t.context, { pad, printer, vpcd: new VpcdConnector({ port: guest.vpcdPort }) });

  // Installed as deploy/ says: the user and groups, the device rules, the unit, the kiosk's own file.
  await sh(guest, `systemd-sysusers ${P}/deploy/sysusers.d/quancun.conf`);
  await sh(guest, `cp ${P}/deploy/udev/99-quancun-kiosk.rules /etc/udev/rules.d/ && udevadm control --reload && udevadm trigger --action=add --subsystem-match=gpio --subsystem-match=i2c-dev && udevadm settle`);
  await sh(guest, `cp ${P}/deploy/quancun-kiosk.service /etc/systemd/system/ && systemctl daemon-reload`);
  const chip = await sh(guest, 'cat /sys/kernel/config/gpio-sim/quancun/bank0/label');
  await guest.writeFile('/etc/quancun/kiosk.json', JSON.stringify(boardKioskConfig(chip), null, 2));
  await sh(guest, `systemctl start --no-block ${UNIT}`);
  t.context.drawn = await drawnInGuest(guest, {
    ...Object.fromEntries(['card', 'menu', 'amount', 'receipt', 'out-of-service'].map((name) => [name, sampleViews().find((s) => s.name === name)!.view])),
    'result-60': resultView(6000),
    'result-10': resultView(1000),
  });
});

/** The result of a 50.00 load that left `newBalance` on the card. */
function resultView(newBalance: number): KioskView {
  return { ...sampleViews().find((s) => s.name === 'result-ok')!.view, result: { ok: true, operation: 'load', amount: 5000, newBalance } };
}

/** Views drawn by the guest's own screen code and fonts (in-guest/render-views.ts), as frames by name. */
async function drawnInGuest(guest: Guest, views: Record<string, KioskView>): Promise<Map<string, Frame>> {
  const list = Object.entries(views).map(([name, view]) => ({ file: `view-${name}.png`, view }));
  await writeFile(join(guest.exchangeDir, 'views.json'), JSON.stringify(list));
  await sh(guest, `cd ${P} && node --import tsx test/board/in-guest/render-views.ts ${GUEST_PATHS.exchange}/views.json ${SCREEN.width} ${SCREEN.height}`, 300_000);
  const frames = new Map<string, Frame>();
  for (const { file } of list) frames.set(file.slice(5, -4), await pngPixels(await readFile(join(guest.exchangeDir, file))));
  return frames;
}

// A test that failed without a message of its own (an exception, a timeout) still leaves the kiosk's log in the output.
test.afterEach.always(async (t) => {
  if (!t.passed && t.context.guest) process.stderr.write(`${t.title}: the kiosk's log ends:\n${await kioskLog(t.context.guest)}\n`);
});

test.after.always(async (t) => {
  await t.context.vpcd?.remove().catch(() => {});
  for (const port of t.context.ports ?? []) if (port.isOpen) await new Promise((r) => port.close(r));
  await t.context.guest?.stop();
  await t.context.cable?.close();
  await t.context.system?.stop();
  if (t.context.dataDir) await rm(t.context.dataDir, { recursive: true, force: true });
});

/** Widget `id`'s rectangle, as the screens lay out sample view `sample` at the guest's screen size. */
async function rectOf(sample: string, id: string): Promise<Rect> {
  return widgetRect(await hostRender(sampleViews().find((s) => s.name === sample)!.view, SCREEN), id);
}

/**
 * Waits until widget `id` of the expected screen `name` (drawn in the guest) is on the guest's screen: at most 1 % of
 * its pixels off.
 */
async function waitFor(t: ExecutionContext<Context>, name: string, id: string, sample = name): Promise<void> {
  const rect = await rectOf(sample, id);
  await waitForScreen(t, `${id} on the guest's screen`, BOARD_WAIT_MS, (screen) => {
    const off = differingPixels(screen, t.context.drawn.get(name)!, rect);
    return { off, done: off <= rect.w * rect.h * 0.01 };
  });
}

/**
 * Polls the guest's screen until `judge` says done. When that never comes, the error keeps the closest screen seen
 * (fewest pixels off) and the kiosk's log with its fields, so a failure on a CI machine says where the kiosk stood.
 */
async function waitForScreen(t: ExecutionContext<Context>, what: string, timeoutMs: number, judge: (screen: Frame) => { off: number; done: boolean }): Promise<void> {
  const { guest } = t.context;
  let closest: { off: number; png: Buffer } | undefined;
  try {
    await pollUntil(what, timeoutMs, async () => {
      const png = await guest.screendump();
      const { off, done } = judge(await pngPixels(png));
      if (!closest || off < closest.off) closest = { off, png };
      return done || false;
    }, 1000);
  } catch (err) {
    const png = join(tmpdir(), `quancun-board-${Date.now()}.png`);
    if (closest) await writeFile(png, closest.png);
    throw new Error(`${(err as Error).message}; closest screen (${closest?.off} pixels off) in ${png}; the kiosk's log ends:\n${await kioskLog(guest)}`);
  }
}

/** The kiosk unit's last journal entries, each its message and QUANCUN_* fields. */
async function kioskLog(guest: Guest): Promise<string> {
  const log = await sh(guest, `journalctl -u ${UNIT} -o json --no-pager | tail -40`).catch((err: Error) => `(no log: ${err.message})`);
  return log.split('\n').filter((l) => l.startsWith('{')).map((l) => {
    const e = JSON.parse(l) as Record<string, unknown>;
    return [e.MESSAGE, ...Object.entries(e).filter(([k]) => k.startsWith('QUANCUN_')).map(([k, v]) => `${k.slice(8)}=${String(v)}`)].join(' ');
  }).join('\n');
}

async function touch(t: ExecutionContext<Context>, name: string, id: string, sample = name): Promise<void> {
  await waitFor(t, name, id, sample);
  const { x, y } = await buttonCenter(sample, id, SCREEN);
  await t.context.guest.touch(x, y);
}

/** A cardholder with the card on the reader: continue, 圈存, ¥50.00 by touches, the PIN on the pad when it asks. */
async function loadByTouches(t: ExecutionContext<Context>): Promise<void> {
  const { pad } = t.context;
  await touch(t, 'card', 'card.continue');
  await touch(t, 'menu', 'menu.load');
  pad.once('entry', () => {
    pad.type(ZHANG.pin);
    pad.enter();
  });
  await touch(t, 'amount', 'amount.presets.5000');
}

test('systemd starts the kiosk from deploy/quancun-kiosk.service; READY comes once it serves', async (t) => {
  t.timeout(600_000);
  const { guest } = t.context;
  await guest.waitForUnit(UNIT, 'active', 480_000);
  t.is(await sh(guest, `systemctl show -P Type ${UNIT}`), 'notify');
  t.is(await sh(guest, `systemctl show -P User ${UNIT}`), 'quancun');
  await pollUntil('the kiosk in service', 120_000, async () => (await sh(guest, `systemctl show -P StatusText ${UNIT}`)) === 'in service' || false, 1000);
  t.is(await sh(guest, `systemctl show -P StatusText ${UNIT}`), 'in service');
});

test('a load at the board: card tapped, touches at the layout, PIN on the pad, result with the new balance on the screen, the receipt at the printer', async (t) => {
  t.timeout(stepsTimeout(9));
  const { guest, printer, vpcd, card: watched } = t.context;
  const card = watched.card;
  await vpcd.insert(watched);
  await loadByTouches(t);

  // The result as the guest draws it for a 50.00 load leaving 60.00 on the card, and the same screen saying the card
  // kept its 10.00: the guest's screen must be the first and far from the second.
  const balance = await rectOf('result-ok', 'result.balance');
  await waitForScreen(t, 'the result screen with 60.00', 2 * BOARD_WAIT_MS, (screen) => {
    const [near, far] = [differingPixels(screen, t.context.drawn.get('result-60')!, balance), differingPixels(screen, t.context.drawn.get('result-10')!, balance)];
    return { off: near, done: near <= balance.w * balance.h * 0.01 && near * 4 < far };
  });
  t.is(card.state().balance, 6000);

  const printed = once(printer, 'receipt', { signal: AbortSignal.timeout(BOARD_WAIT_MS) }) as Promise<[PrintedReceipt]>;
  await touch(t, 'result-60', 'result.ok', 'result-ok');
  await touch(t, 'receipt', 'receipt.print');
  const [receipt] = await printed.catch(async (err: Error) => {
    throw new Error(`no receipt at the printer within ${BOARD_WAIT_MS} ms (${err.message}); the kiosk's log ends:\n${await kioskLog(guest)}`);
  });
  t.regex(receiptText(receipt, 32), /50\.00/);
  await vpcd.remove();
});

/** The simulator's side of gpio-sim line `offset` (pull it, read what the kiosk drives). */
const simLine = (offset: number) => `/sys/devices/platform/$(cat /sys/kernel/config/gpio-sim/quancun/dev_name)/$(cat /sys/kernel/config/gpio-sim/quancun/bank0/chip_name)/sim_gpio${offset}`;
const statusText = (guest: Guest) => sh(guest, `systemctl show -P StatusText ${UNIT}`);
const waitStatus = (guest: Guest, text: string) => pollUntil(`the unit's status "${text}"`, BOARD_WAIT_MS, async () => (await statusText(guest)) === text || false, 1000);

test('the door opened on its GPIO line: out of service, fault LED, state and report; closed: back in service', async (t) => {
  t.timeout(stepsTimeout(8));
  const { guest, system } = t.context;
  const watch = await watchKiosk(t, system.mqttUrl);
  await sh(guest, `echo pull-up >${simLine(0)}/pull`);
  t.like(await watch.next(FAULT_TOPIC, { device: 'door' }, BOARD_WAIT_MS), { code: 'DOOR_OPEN' });
  t.like(await watch.next(STATE_TOPIC, { mode: 'maintenance' }, BOARD_WAIT_MS), { reason: 'DOOR_OPEN' });
  await waitStatus(guest, 'out of service: DOOR_OPEN');
  t.is(await sh(guest, `cat ${simLine(3)}/value ${simLine(1)}/value`), '1\n0', 'fault LED on, ready LED off');
  await waitFor(t, 'out-of-service', 'out-of-service.title');

  await sh(guest, `echo pull-down >${simLine(0)}/pull`);
  await watch.next(CLEARED_TOPIC, { device: 'door' }, BOARD_WAIT_MS);
  await watch.next(STATE_TOPIC, { mode: 'in-service' }, BOARD_WAIT_MS);
  await waitStatus(guest, 'in service');
  t.is(await sh(guest, `cat ${simLine(3)}/value ${simLine(1)}/value`), '0\n1');
});

test("the reader's pcscd stopped is a fault, started again a recovery", async (t) => {
  t.timeout(stepsTimeout(5));
  const { guest, system } = t.context;
  const watch = await watchKiosk(t, system.mqttUrl);
  await sh(guest, 'systemctl stop pcscd.service pcscd.socket');
  try {
    // pcsclite reports pcscd going away as a communication error on its context (seen here): either code is a fault.
    const { code } = await watch.next(FAULT_TOPIC, { device: 'card-reader' }, BOARD_WAIT_MS);
    t.true(code === 'READER_UNAVAILABLE' || code === 'READER_COMM_ERROR', String(code));
    await waitStatus(guest, `out of service: ${String(code)}`);
  } finally {
    await sh(guest, 'systemctl start pcscd.service');
  }
  await watch.next(CLEARED_TOPIC, { device: 'card-reader' }, BOARD_WAIT_MS);
  await waitStatus(guest, 'in service');
});

test('SIGKILL between CREDIT and confirm: systemd restarts the kiosk and it finishes the load, credited once', async (t) => {
  t.timeout(stepsTimeout(14));
  const { guest, system, cable, vpcd, card } = t.context;
  const restartsBefore = Number(await sh(guest, `systemctl show -P NRestarts ${UNIT}`));
  const before = card.card.state().balance;
  // The network goes the moment the card has the credit: the confirm cannot leave, the record stays `credited`.
  card.onCredit = () => {
    card.onCredit = undefined;
    cable.unplug();
  };
  await vpcd.insert(card);
  await loadByTouches(t);
  // Found by its journal fields, as an operator would: the message and the transaction id the kiosk logged with it.
  const txnId = await pollUntil('the kiosk journaling the credit it cannot confirm', 240_000, async () => {
    const entry = await sh(guest, `journalctl -u ${UNIT} -o json --no-pager MESSAGE='final posting not confirmed yet' | tail -1`);
    return entry ? (JSON.parse(entry) as { QUANCUN_TXN_ID: string }).QUANCUN_TXN_ID : false;
  }, 1000);
  t.is(card.card.state().balance, before + 5000);
  await vpcd.remove();

  await sh(guest, `systemctl kill -s SIGKILL ${UNIT}`);
  await pollUntil('systemd restarting the kiosk', 240_000, async () => Number(await sh(guest, `systemctl show -P NRestarts ${UNIT}`)) > restartsBefore || false, 1000);
  cable.replug();
  await guest.waitForUnit(UNIT, 'active', 480_000);
  await pollUntil(`${txnId} completed at the gateway`, 240_000, async () => (await system.gateway.loads.loads.get(txnId))?.state === 'completed' || false, 1000);
  t.is(card.card.state().balance, before + 5000, 'credited once');
  t.regex(await sh(guest, `journalctl -u ${UNIT} -o cat --no-pager QUANCUN_TXN_ID=${txnId}`), /recovered an unfinished transaction/);
});

test('a hung kiosk (stopped, no watchdog pings) is restarted by the watchdog', async (t) => {
  t.timeout(stepsTimeout(7));
  const { guest } = t.context;
  const pid = await sh(guest, `systemctl show -P MainPID ${UNIT}`);
  const restarts = Number(await sh(guest, `systemctl show -P NRestarts ${UNIT}`));
  await sh(guest, `kill -STOP ${pid}`);
  await pollUntil('the watchdog restart', 240_000, async () => Number(await sh(guest, `systemctl show -P NRestarts ${UNIT}`)) > restarts || false, 1000);
  t.regex(await sh(guest, `journalctl -u ${UNIT} -o cat --no-pager | grep -i watchdog | tail -3`), /[Ww]atchdog timeout/);
  await guest.waitForUnit(UNIT, 'active', 480_000);
  t.not(await sh(guest, `systemctl show -P MainPID ${UNIT}`), pid);
});

test('boot to READY and resident memory, as ratios to a bare node in the same guest; a stop ends promptly', async (t) => {
  t.timeout(600_000);
  const { guest } = t.context;
  const ms = async (command: string) => Number(await sh(guest, `s=$(date +%s%N); ${command} >/dev/null; e=$(date +%s%N); echo $(( (e - s) / 1000000 ))`));
  const bareStart = await ms('node -e 0');
  const since = async (key: string) => Number(await sh(guest, `systemctl show -P ${key} ${UNIT}`));
  const toReady = (await since('ActiveEnterTimestampMonotonic') - await since('InactiveExitTimestampMonotonic')) / 1000;
  const rss = async (pid: string) => Number(await sh(guest, `awk '/VmRSS/ {print $2}' /proc/${pid}/status`));
  const kioskRss = await rss(await sh(guest, `systemctl show -P MainPID ${UNIT}`));
  const bareRss = Number(await sh(guest, 'node -e "console.log(Math.round(process.memoryUsage().rss / 1024))"'));
  t.log(`start to READY ${toReady.toFixed(0)} ms = ${(toReady / bareStart).toFixed(1)} x node -e 0 (${bareStart} ms); RSS ${kioskRss} KiB = ${(kioskRss / bareRss).toFixed(1)} x bare node (${bareRss} KiB)`);
  t.true(toReady > 0 && kioskRss > bareRss);

  const stopMs = await ms(`systemctl stop ${UNIT}`);
  t.log(`systemctl stop took ${stopMs} ms`);
  t.is(await sh(guest, `systemctl show -P Result ${UNIT}`), 'success', 'stopped by its own exit, not killed at TimeoutStopSec');
});
