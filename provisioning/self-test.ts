/**
 * The installer's self-test of a board's devices, run at the end of `quancun provision`: each check passes, fails
 * with a code and a message, or is skipped with its reason; one failing check never stops the others. What only a
 * person can see (a lit LED, a picture) is asked through `Installer`; what the board can observe (the door switch, a
 * touch, a card) is waited for, each with a time limit.
 */
import { once } from 'node:events';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Devices } from '../board/devices.ts';
import { QuancunError, type ErrorCode } from '../common/errors.ts';
import { fullRect, type Display } from '../hal/display/display.ts';
import type { LedName } from '../hal/gpio/gpio.ts';
import { printerStatusError } from '../hal/printer/printer.ts';
import { calibrateTouch } from '../hal/touch/evdev-touch.ts';

export type CheckName = 'reader' | 'pin-pad' | 'printer' | 'touch' | 'display' | 'door' | 'leds' | 'temperature';
export const CHECKS: readonly CheckName[] = ['reader', 'pin-pad', 'printer', 'touch', 'display', 'door', 'leds', 'temperature'];

export interface CheckResult {
  check: CheckName;
  status: 'pass' | 'fail' | 'skipped';
  /** Why it failed. */
  code?: ErrorCode;
  message: string;
}

/** What the installer is asked to do, by a stable id (a scripted installer in tests answers by id). */
export type Instruction = 'put-card' | 'open-door' | 'close-door' | `touch-${TouchTarget}`;
export type Question = `led-${LedName}` | 'display-pattern';
export type TouchTarget = 'top-left' | 'top-right' | 'bottom-right' | 'bottom-left';

export interface Installer {
  /** Asks the installer to do something the board then observes. */
  instruct(id: Instruction, text: string): void;
  /** A yes/no question about what the installer sees. */
  confirm(id: Question, text: string): Promise<boolean>;
}

export interface SelfTestOptions {
  /** The check value the PIN pad's key must have (from the enrolment). */
  padKeyCheckValue: string;
  /** Where the touch calibration is saved. */
  dataDir: string;
  kioskId: string;
  /** Checks the installer chose to skip, each with the reason (e.g. `--no-touch`). */
  skip?: Partial<Record<CheckName, string>>;
  /** How long to wait for a card on the reader (none put is not a failure). */
  cardWaitMs?: number;
  /** How long to wait for the door and for each touch. */
  actionWaitMs?: number;
  /** A sane board temperature, °C. */
  temperatureRange?: [number, number];
}

const LEDS: readonly LedName[] = ['ready', 'busy', 'fault'];
const TARGETS: readonly TouchTarget[] = ['top-left', 'top-right', 'bottom-right', 'bottom-left'];
/** Target centres as fractions of the screen, and how far a touch may land from one. */
const TARGET_INSET = 0.1;
const TOUCH_TOLERANCE = 0.05;

/** Where the touch check keeps its points and the calibration made from them; provisioning puts it in the config. */
export const touchCalibrationPath = (dataDir: string) => join(dataDir, 'touch-calibration.json');

const pass = (check: CheckName, message: string): CheckResult => ({ check, status: 'pass', message });
const fail = (check: CheckName, code: ErrorCode, message: string): CheckResult => ({ check, status: 'fail', code, message });

/** Waits for `event` on `emitter` whose arguments satisfy `accept`, or rejects with SELF_TEST_FAILED after `ms`. */
async function observe<A extends unknown[]>(emitter: NodeJS.EventEmitter, event: string, ms: number, what: string, accept: (...args: A) => boolean = () => true): Promise<A> {
  const signal = AbortSignal.timeout(ms);
  try {
    for (;;) {
      const args = (await once(emitter, event, { signal })) as A;
      if (accept(...args)) return args;
    }
  } catch (err) {
    if (signal.aborted) throw new QuancunError('SELF_TEST_FAILED', `${what} within ${ms / 1000} s`);
    throw err;
  }
}

export async function runSelfTest(devices: Devices, installer: Installer, o: SelfTestOptions): Promise<CheckResult[]> {
  const cardWaitMs = o.cardWaitMs ?? 15_000;
  const actionWaitMs = o.actionWaitMs ?? 60_000;
  const [low, high] = o.temperatureRange ?? [-10, 70];

  const checks: Record<CheckName, () => Promise<CheckResult>> = {
    async reader() {
      const { reader } = devices;
      const seen: { fault?: QuancunError } = {};
      const onFault = (err: Error) => (seen.fault = QuancunError.from(err));
      const faulted = () => seen.fault && fail('reader', seen.fault.code, seen.fault.message);
      reader.on('fault', onFault);
      try {
        await reader.start();
        if (seen.fault) return faulted()!;
        installer.instruct('put-card', `Put a campus card on the reader (or wait ${cardWaitMs / 1000} s to go on without one).`);
        const atr = await reader.waitForCard(AbortSignal.timeout(cardWaitMs)).catch(() => undefined);
        if (seen.fault) return faulted()!;
        return pass('reader', `reader present (${reader.name}); ${atr ? `card ATR ${atr.toString('hex').toUpperCase()}` : 'no card was put'}`);
      } finally {
        reader.off('fault', onFault);
      }
    },
    async 'pin-pad'() {
      const info = await devices.pinPad.info();
      if (!info.keyCheckValue) return fail('pin-pad', 'KEY_MISSING', `PIN pad ${info.serial} holds no PIN key`);
      if (info.keyCheckValue !== o.padKeyCheckValue.toUpperCase()) {
        return fail('pin-pad', 'PAD_KEY_REFUSED', `PIN pad ${info.serial} holds a key with check value ${info.keyCheckValue}, the enrolment's is ${o.padKeyCheckValue}`);
      }
      return pass('pin-pad', `PIN pad ${info.serial} answers; key check value ${info.keyCheckValue} as enrolled`);
    },
    async printer() {
      const { printer } = devices;
      if (!printer) return fail('printer', 'PRINTER_OFFLINE', 'the board profile has no receipt printer');
      await printer.start();
      const status = await printer.refreshStatus();
      if (!printer.canPrint) {
        const e = printerStatusError(status, printer.name);
        return fail('printer', e.code, e.message);
      }
      await printer.print([
        { kind: 'text', text: 'SELF-TEST / 自检', align: 'center', bold: true },
        { kind: 'pair', left: 'Kiosk', right: o.kioskId },
        { kind: 'pair', left: 'Time', right: new Date().toISOString().slice(0, 19) },
        { kind: 'rule' },
        { kind: 'feed', lines: 2 },
        { kind: 'cut' },
      ]);
      return pass('printer', `printer ready${status.paperNearEnd ? ' (paper near end)' : ''}; test receipt printed`);
    },
    async touch() {
      const { touch, display } = devices;
      if (!touch || !display) return { check: 'touch', status: 'skipped', message: 'the board has no touch panel over a display of its own' };
      const { width, height } = display;
      const touched: Array<{ target: TouchTarget; x: number; y: number; at: { x: number; y: number } }> = [];
      touch.start();
      for (const target of TARGETS) {
        const at = targetPoint(target, width, height);
        await display.update(crosshair(width, height, at), [fullRect({ width, height })]);
        installer.instruct(`touch-${target}`, `Touch the cross at the ${target.replace('-', ' ')} of the screen.`);
        const [x, y] = await observe<[number, number]>(touch, 'down', actionWaitMs, `no touch at the ${target} target`);
        touched.push({ target, x, y, at });
      }
      const { calibration, worstErrorPx } = calibrateTouch(touched.map((p) => ({ screen: p, target: p.at })), touch.mapping);
      if (worstErrorPx > TOUCH_TOLERANCE * Math.min(width, height)) {
        return fail('touch', 'SELF_TEST_FAILED', `the four touches disagree by up to ${Math.round(worstErrorPx)} px: touch each cross again, squarely`);
      }
      await writeFile(touchCalibrationPath(o.dataDir), `${JSON.stringify({ width, height, points: touched, calibration }, null, 2)}\n`);
      const { minX, maxX, minY, maxY } = calibration;
      return pass('touch', `four targets touched; calibration x ${minX}..${maxX}, y ${minY}..${maxY} saved`);
    },
    async display() {
      const { display } = devices;
      if (!display) return { check: 'display', status: 'skipped', message: 'the board has no display of its own' };
      await display.update(colourBars(display.width, display.height), [fullRect(display)]);
      const seen = await installer.confirm('display-pattern', 'Does the screen show eight vertical colour bars, white to black, edge to edge?');
      return seen ? pass('display', `test pattern shown on ${display.width}x${display.height}`) : fail('display', 'SELF_TEST_FAILED', 'the installer did not see the test pattern');
    },
    async door() {
      const { io } = devices;
      await io.start();
      if (!io.doorOpen) {
        installer.instruct('open-door', 'Open the kiosk door.');
        await observe<[boolean]>(io, 'door', actionWaitMs, 'the door switch did not report open', (open) => open);
      }
      installer.instruct('close-door', 'Close the kiosk door.');
      await observe<[boolean]>(io, 'door', actionWaitMs, 'the door switch did not report closed', (open) => !open);
      return pass('door', 'door switch reported open, then closed');
    },
    async leds() {
      const dark: LedName[] = [];
      for (const led of LEDS) {
        await devices.io.setLed(led, true);
        if (!(await installer.confirm(`led-${led}`, `Is the ${led} LED lit?`))) dark.push(led);
        await devices.io.setLed(led, false);
      }
      return dark.length ? fail('leds', 'SELF_TEST_FAILED', `LED not seen lit: ${dark.join(', ')}`) : pass('leds', `LEDs ${LEDS.join(', ')} each seen lit`);
    },
    async temperature() {
      if (!devices.thermometer) return fail('temperature', 'DEVICE_UNAVAILABLE', 'no I2C bus: the temperature sensor cannot be read');
      const celsius = await devices.thermometer.readCelsius();
      if (celsius < low || celsius > high) return fail('temperature', 'SELF_TEST_FAILED', `board temperature ${celsius} °C is outside ${low}..${high} °C`);
      return pass('temperature', `board temperature ${celsius} °C`);
    },
  };

  const results: CheckResult[] = [];
  for (const name of CHECKS) {
    const reason = o.skip?.[name];
    if (reason) {
      results.push({ check: name, status: 'skipped', message: reason });
      continue;
    }
    try {
      results.push(await checks[name]());
    } catch (err) {
      const e = QuancunError.from(err);
      results.push(fail(name, e.code, e.message));
    }
  }
  return results;
}

function targetPoint(target: TouchTarget, width: number, height: number): { x: number; y: number } {
  const left = target.endsWith('left');
  const top = target.startsWith('top');
  return { x: Math.round((left ? TARGET_INSET : 1 - TARGET_INSET) * (width - 1)), y: Math.round((top ? TARGET_INSET : 1 - TARGET_INSET) * (height - 1)) };
}

function frame(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]) {
  const rgba = new Uint8Array(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      [rgba[i], rgba[i + 1], rgba[i + 2]] = pixel(x, y);
      rgba[i + 3] = 255;
    }
  }
  return { width, height, rgba };
}

/** A black screen with a white cross at `at`. */
function crosshair(width: number, height: number, at: { x: number; y: number }) {
  const arm = Math.max(10, Math.round(Math.min(width, height) * 0.04));
  return frame(width, height, (x, y) => {
    const onCross = (Math.abs(x - at.x) <= 1 && Math.abs(y - at.y) <= arm) || (Math.abs(y - at.y) <= 1 && Math.abs(x - at.x) <= arm);
    return onCross ? [255, 255, 255] : [0, 0, 0];
  });
}

/** SMPTE-like bars: white, yellow, cyan, green, magenta, red, blue, black. */
const BARS: ReadonlyArray<[number, number, number]> = [[255, 255, 255], [255, 255, 0], [0, 255, 255], [0, 255, 0], [255, 0, 255], [255, 0, 0], [0, 0, 255], [0, 0, 0]];

function colourBars(width: number, height: number) {
  return frame(width, height, (x) => BARS[Math.min(BARS.length - 1, Math.floor((x * BARS.length) / width))]!);
}
