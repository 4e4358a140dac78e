/**
 * Builds (does not start) every device a board profile names: the real backends from hal/, loaded lazily, or the
 * simulators from sim/ with their device-side handles. A device that cannot even be opened here (no framebuffer, no
 * I2C bus) is not an exception out of the kiosk: it is left out and listed in `faults`, and the kiosk reports it.
 */
import type { CardReader } from '../hal/card-reader/card-reader.ts';
import type { Display } from '../hal/display/display.ts';
import type { KioskIo, LedName } from '../hal/gpio/gpio.ts';
import { GpioKioskIo } from '../hal/gpio/kiosk-io.ts';
import { resolveGpioLine } from '../hal/gpio/line-numbers.ts';
import { Eeprom24c02 } from '../hal/i2c/eeprom-24c02.ts';
import type { I2cBus } from '../hal/i2c/i2c-bus.ts';
import { Lm75 } from '../hal/i2c/lm75.ts';
import type { PinPad } from '../hal/pin-pad/pin-pad.ts';
import { SerialPinPad } from '../hal/pin-pad/serial-pin-pad.ts';
import type { PrinterColumns } from '../hal/printer/escpos.ts';
import { EscPosPrinter } from '../hal/printer/escpos-printer.ts';
import type { ReceiptPrinter } from '../hal/printer/printer.ts';
import { SerialLink, type SerialOpener } from '../hal/serial/serial-link.ts';
import { createTrafficInspector, disabledInspector, type TrafficInspector } from '../hal/serial/traffic-inspector.ts';
import { EvdevTouch } from '../hal/touch/evdev-touch.ts';
import { QuancunError } from '../common/errors.ts';
import type { DeviceName } from '../runtime/health/service-status.ts';
import { SimCardReader } from '../sim/card/sim-reader.ts';
import { createSimKioskIo, type KioskWiring } from '../sim/gpio/sim-gpio.ts';
import { SimEeprom24c02, SimI2cBus, SimLm75 } from '../sim/i2c/sim-bus.ts';
import { readPadMemory, writePadKey } from '../sim/pin-pad/pad-memory.ts';
import type { Keypad } from '../sim/pin-pad/pin-pad-emulator.ts';
import { createSimPinPad } from '../sim/pin-pad/sim-pin-pad.ts';
import type { PrinterDevice } from '../sim/printer/escpos-emulator.ts';
import { createSimPrinter } from '../sim/printer/sim-printer.ts';
import { parseBoardProfile } from './board-profile.ts';

export interface Devices {
  reader: CardReader;
  pinPad: PinPad;
  printer: ReceiptPrinter | undefined;
  io: KioskIo;
  /** Absent when the bus could not be opened (see `faults`). */
  eeprom: Eeprom24c02 | undefined;
  thermometer: Lm75 | undefined;
  /** Absent with display `none`, or when the framebuffer could not be opened. */
  display: Display | undefined;
  touch: EvdevTouch | undefined;
  inspector: TrafficInspector;
  /** Devices that could not be opened at all: reported as faults when the kiosk starts. */
  faults: Array<{ device: DeviceName; error: QuancunError }>;
  /** Device-side handles, present for each simulated device. */
  sim: {
    reader?: SimCardReader;
    printer?: PrinterDevice;
    keypad?: Keypad;
    wiring?: KioskWiring;
    i2c?: { bus: SimI2cBus; eeprom: SimEeprom24c02; lm75: SimLm75 };
  };
}

export interface DeviceOptions {
  inspectorSink?: (line: string) => void;
  /** The simulated field when its cards are held elsewhere (the chaos harness's, over IPC); default an in-process one. */
  simReader?: CardReader;
  /** Where the simulated PIN pad keeps its serial, transport key and PIN key (sim/pin-pad/pad-memory.ts). */
  simPadMemory?: string;
  /** The size the screens are drawn at, for the touch panel's mapping when there is no display of the board's own. */
  screenSize?: { width: number; height: number };
}

async function realSerial(path: string, baudRate: number): Promise<SerialOpener> {
  const { serialPortOpener } = await import('../hal/serial/serialport-opener.ts');
  return serialPortOpener(path, baudRate);
}

/** An opening that failed, as the fault the kiosk reports for that device. */
async function opened<T>(device: DeviceName, faults: Devices['faults'], open: () => Promise<T>): Promise<T | undefined> {
  try {
    return await open();
  } catch (err) {
    faults.push({ device, error: QuancunError.from(err) });
    return undefined;
  }
}

export async function createDevices(input: unknown, options: DeviceOptions = {}): Promise<Devices> {
  const profile = parseBoardProfile(input);
  const inspector = profile.inspector.enabled ? createTrafficInspector(options.inspectorSink ? { sink: options.inspectorSink } : {}) : disabledInspector;
  const sim: Devices['sim'] = {};
  const faults: Devices['faults'] = [];

  let reader: CardReader;
  const r = profile.reader;
  if (r.backend === 'pcsc') {
    const { PcscCardReader } = await import('../hal/card-reader/pcsc-reader.ts');
    reader = new PcscCardReader({ ...(r.name ? { readerName: r.name } : {}), ...(r.answerTimeoutMs ? { answerTimeoutMs: r.answerTimeoutMs } : {}) });
  } else if (options.simReader) {
    reader = options.simReader;
  } else {
    reader = sim.reader = new SimCardReader();
  }

  let printer: ReceiptPrinter | undefined;
  const p = profile.printer;
  if (p.backend === 'escpos-serial') {
    const link = new SerialLink({ name: 'printer', open: await realSerial(p.path, p.baudRate), inspector });
    printer = new EscPosPrinter(link, { columns: p.columns as PrinterColumns, pollMs: p.pollMs, ...(p.answerTimeoutMs ? { answerTimeoutMs: p.answerTimeoutMs } : {}) });
  } else if (p.backend === 'sim') {
    const s = createSimPrinter({ columns: p.columns as PrinterColumns, inspector });
    printer = s.printer;
    sim.printer = s.device;
  }

  let pinPad: PinPad;
  const pp = profile.pinPad;
  if (pp.backend === 'serial') {
    pinPad = new SerialPinPad(new SerialLink({ name: 'pin-pad', open: await realSerial(pp.path, pp.baudRate), inspector, traceRx: false }),
      pp.answerTimeoutMs ? { answerTimeoutMs: pp.answerTimeoutMs } : {});
  } else {
    const path = options.simPadMemory;
    const memory = path ? await readPadMemory(path) : {};
    const s = createSimPinPad({
      inspector, ...(memory.pinKey ? { key: memory.pinKey } : {}), ...(memory.serial ? { serial: memory.serial } : {}),
      ...(memory.transportKey ? { transportKey: memory.transportKey } : {}), ...(path ? { store: (key: Buffer) => writePadKey(path, key) } : {}),
    });
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
    const { createOnoffBackend } = await import('../hal/gpio/onoff-backend.ts');
    io = new GpioKioskIo(createOnoffBackend, { lines, doorOpenLevel: g.doorOpenLevel, relayActiveLow: g.relayActiveLow, debounceMs: g.debounceMs });
  } else {
    const s = createSimKioskIo({ debounceMs: g.debounceMs });
    io = s.io;
    sim.wiring = s.wiring;
  }

  let bus: I2cBus | undefined;
  let addresses = { eeprom: 0x50, temperature: 0x48 };
  const i = profile.i2c;
  if (i.backend === 'i2c-bus') {
    const { openI2cBus } = await import('../hal/i2c/open-bus.ts');
    bus = await opened('i2c', faults, () => openI2cBus(i.bus));
    addresses = { eeprom: i.eeprom, temperature: i.temperature };
  } else {
    const eeprom = new SimEeprom24c02();
    const lm75 = new SimLm75();
    const simBus = new SimI2cBus().attach(0x50, eeprom).attach(0x48, lm75);
    bus = simBus;
    sim.i2c = { bus: simBus, eeprom, lm75 };
  }

  let display: Display | undefined;
  const d = profile.display;
  if (d.backend === 'fbdev') {
    const { FbdevDisplay } = await import('../hal/display/fbdev.ts');
    display = await opened('display', faults, () => FbdevDisplay.open({ device: d.device, sysfsRoot: d.sysfsRoot }));
  }

  let touch: EvdevTouch | undefined;
  const tp = profile.touch;
  const size = display ?? options.screenSize;
  if (tp.backend === 'evdev' && size) {
    touch = new EvdevTouch({ device: tp.device, width: size.width, height: size.height, calibration: tp.calibration, rotation: tp.rotation });
  }

  return {
    reader, pinPad, printer, io, inspector, faults, sim, display, touch,
    eeprom: bus ? new Eeprom24c02(bus, addresses.eeprom) : undefined,
    thermometer: bus ? new Lm75(bus, addresses.temperature) : undefined,
  };
}
