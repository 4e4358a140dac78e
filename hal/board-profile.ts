/**
 * The board profile: which backend each peripheral uses and on which port, pins and I2C addresses. `sim` backends
 * run in-process and return their device-side handles; the real ones import their drivers lazily, so a simulator
 * build never loads serialport's native binding, onoff or i2c-bus.
 */
import { z } from 'zod';
import { parseConfigSection } from '../common/config-errors.ts';
import type { KioskIo, LedName } from './gpio/gpio.ts';
import { GpioKioskIo } from './gpio/kiosk-io.ts';
import { resolveGpioLine } from './gpio/line-numbers.ts';
import { createSimKioskIo, type KioskWiring } from './gpio/sim-gpio.ts';
import { Eeprom24c02 } from './i2c/eeprom-24c02.ts';
import type { I2cBus } from './i2c/i2c-bus.ts';
import { Lm75 } from './i2c/lm75.ts';
import type { PinPad } from './pin-pad/pin-pad.ts';
import { SerialPinPad } from './pin-pad/serial-pin-pad.ts';
import { createSimPinPad } from './pin-pad/sim-pin-pad.ts';
import { PRINTER_COLUMNS, type PrinterColumns } from './printer/escpos.ts';
import { EscPosPrinter } from './printer/escpos-printer.ts';
import type { ReceiptPrinter } from './printer/printer.ts';
import { createSimPrinter } from './printer/sim-printer.ts';
import { SerialLink, type SerialOpener } from './serial/serial-link.ts';
import { createTrafficInspector, disabledInspector, type TrafficInspector } from './serial/traffic-inspector.ts';
import type { Keypad } from '../sim/pin-pad/pin-pad-emulator.ts';
import type { PrinterDevice } from '../sim/printer/escpos-emulator.ts';
import { SimEeprom24c02, SimI2cBus, SimLm75 } from '../sim/i2c/sim-bus.ts';

const serialPort = z.object({ path: z.string().min(1), baudRate: z.number().int().positive() });
const line = z.number().int().min(0).max(1023);
const i2cAddress = z.number().int().min(0x03).max(0x77);

export const boardProfileSchema = z.object({
  printer: z.discriminatedUnion('backend', [
    z.object({ backend: z.literal('escpos-serial'), ...serialPort.shape, columns: z.number().refine((c) => (PRINTER_COLUMNS as readonly number[]).includes(c), 'columns: 32, 35, 42, 44 or 48').default(32), pollMs: z.number().int().positive().default(2000) }),
    z.object({ backend: z.literal('sim'), columns: z.number().default(32) }),
    z.object({ backend: z.literal('none') }),
  ]),
  pinPad: z.discriminatedUnion('backend', [
    z.object({ backend: z.literal('serial'), ...serialPort.shape }),
    /** The simulated pad needs its PIN key (hex); in the embedded default it comes from the issuer config. */
    z.object({ backend: z.literal('sim'), key: z.string().regex(/^([0-9A-Fa-f]{16}){1,3}$/).optional() }),
  ]),
  gpio: z.discriminatedUnion('backend', [
    z.object({
      backend: z.literal('onoff'),
      /** Tests point this at a fixture tree. */
      sysfsRoot: z.string().default('/sys/class/gpio'),
      /** The chip whose base the offsets below are added to: pinctrl-bcm2835 (Pi 3), pinctrl-bcm2711 (Pi 4), pinctrl-rp1 (Pi 5). */
      chipLabel: z.string().min(1),
      lines: z.object({
        door: line,
        leds: z.object({ ready: line, busy: line, fault: line }),
        cardReaderPower: line,
        buzzer: line,
      }),
      doorOpenLevel: z.union([z.literal(0), z.literal(1)]).default(1),
      relayActiveLow: z.boolean().default(true),
      debounceMs: z.number().int().min(1).max(1000).default(50),
    }),
    z.object({ backend: z.literal('sim'), debounceMs: z.number().int().min(1).default(20) }),
  ]),
  i2c: z.discriminatedUnion('backend', [
    z.object({ backend: z.literal('i2c-bus'), bus: z.number().int().min(0).default(1), eeprom: i2cAddress.default(0x50), temperature: i2cAddress.default(0x48) }),
    z.object({ backend: z.literal('sim') }),
  ]),
  /** Serial traffic trace for technicians; PIN pad frames are always shown redacted. */
  inspector: z.object({ enabled: z.boolean().default(false) }).default({ enabled: false }),
});

export type BoardProfile = z.infer<typeof boardProfileSchema>;
export type BoardProfileInput = z.input<typeof boardProfileSchema>;

/** Everything simulated: what the embedded default and the tests run. */
export const SIM_BOARD_PROFILE: BoardProfileInput = {
  printer: { backend: 'sim' },
  pinPad: { backend: 'sim' },
  gpio: { backend: 'sim' },
  i2c: { backend: 'sim' },
};

/** `source` names the profile in errors: its file when it came from one. */
export function parseBoardProfile(input: unknown, source = 'board profile'): BoardProfile {
  return parseConfigSection(boardProfileSchema, input, source);
}

export interface Devices {
  printer: ReceiptPrinter | undefined;
  pinPad: PinPad;
  io: KioskIo;
  eeprom: Eeprom24c02;
  thermometer: Lm75;
  inspector: TrafficInspector;
  /** Device-side handles, present for each simulated device. */
  sim: { printer?: PrinterDevice; keypad?: Keypad; wiring?: KioskWiring; i2c?: { bus: SimI2cBus; eeprom: SimEeprom24c02; lm75: SimLm75 } };
}

async function realSerial(path: string, baudRate: number): Promise<SerialOpener> {
  const { serialPortOpener } = await import('./serial/serialport-opener.ts');
  return serialPortOpener(path, baudRate);
}

/** Builds (does not start) every device the profile names. Starting is the controller's, in its fixed order. */
export async function createDevices(input: unknown, options: { inspectorSink?: (line: string) => void } = {}): Promise<Devices> {
  const profile = parseBoardProfile(input);
  const inspector = profile.inspector.enabled ? createTrafficInspector(options.inspectorSink ? { sink: options.inspectorSink } : {}) : disabledInspector;
  const sim: Devices['sim'] = {};

  let printer: ReceiptPrinter | undefined;
  const p = profile.printer;
  if (p.backend === 'escpos-serial') {
    const link = new SerialLink({ name: 'printer', open: await realSerial(p.path, p.baudRate), inspector });
    printer = new EscPosPrinter(link, { columns: p.columns as PrinterColumns, pollMs: p.pollMs });
  } else if (p.backend === 'sim') {
    const s = createSimPrinter({ columns: p.columns as PrinterColumns, inspector });
    printer = s.printer;
    sim.printer = s.device;
  }

  let pinPad: PinPad;
  const pp = profile.pinPad;
  if (pp.backend === 'serial') {
    pinPad = new SerialPinPad(new SerialLink({ name: 'pin-pad', open: await realSerial(pp.path, pp.baudRate), inspector, traceRx: false }));
  } else {
    const s = createSimPinPad({ ...(pp.key ? { key: pp.key } : {}), inspector });
    pinPad = s.pinPad;
    sim.keypad = s.keypad;
  }

  let io: KioskIo;
  const g = profile.gpio;
  if (g.backend === 'onoff') {
    const resolve = (offset: number) => resolveGpioLine(offset, { chipLabel: g.chipLabel, sysfsRoot: g.sysfsRoot });
    const leds = {} as Record<LedName, number>;
    for (const [name, offset] of Object.entries(g.lines.leds)) leds[name as LedName] = await resolve(offset);
    const lines = { door: await resolve(g.lines.door), leds, cardReaderPower: await resolve(g.lines.cardReaderPower), buzzer: await resolve(g.lines.buzzer) };
    const { createOnoffBackend } = await import('./gpio/onoff-backend.ts');
    io = new GpioKioskIo(createOnoffBackend, { lines, doorOpenLevel: g.doorOpenLevel, relayActiveLow: g.relayActiveLow, debounceMs: g.debounceMs });
  } else {
    const s = createSimKioskIo({ debounceMs: g.debounceMs });
    io = s.io;
    sim.wiring = s.wiring;
  }

  let bus: I2cBus;
  let addresses = { eeprom: 0x50, temperature: 0x48 };
  const i = profile.i2c;
  if (i.backend === 'i2c-bus') {
    const { openI2cBus } = await import('./i2c/open-bus.ts');
    bus = await openI2cBus(i.bus);
    addresses = { eeprom: i.eeprom, temperature: i.temperature };
  } else {
    const eeprom = new SimEeprom24c02();
    const lm75 = new SimLm75();
    const simBus = new SimI2cBus().attach(0x50, eeprom).attach(0x48, lm75);
    bus = simBus;
    sim.i2c = { bus: simBus, eeprom, lm75 };
  }

  return {
    printer,
    pinPad,
    io,
    eeprom: new Eeprom24c02(bus, addresses.eeprom),
    thermometer: new Lm75(bus, addresses.temperature),
    inspector,
    sim,
  };
}
