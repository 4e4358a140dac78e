/**
 * The board profile: which backend each device of a kiosk uses, and on which port, pins, bus and device node. `sim`
 * backends are the simulators (sim/), each with its device-side handle; real backends load their drivers lazily
 * (board/devices.ts), so a simulator build never loads pcsclite, serialport, onoff or i2c-bus.
 */
import { z } from 'zod';
import { parseConfigSection } from '../common/config-errors.ts';
import { PRINTER_COLUMNS } from '../hal/printer/escpos.ts';

const serialPort = z.object({
  path: z.string().min(1),
  baudRate: z.number().int().positive(),
  /** How long the device has to answer a command or status query (a slow board, a slow device: more). */
  answerTimeoutMs: z.number().int().min(100).max(60_000).optional(),
});
const line = z.number().int().min(0).max(1023);
const i2cAddress = z.number().int().min(0x03).max(0x77);

export const boardProfileSchema = z.object({
  reader: z.discriminatedUnion('backend', [
    z.object({
      backend: z.literal('pcsc'),
      /** Exact reader name, or a substring of it; default: the first reader pcscd lists. */
      name: z.string().optional(),
      /** How long a command may go unanswered before it counts as undecided (a mute card never answers). */
      answerTimeoutMs: z.number().int().min(100).max(60_000).optional(),
    }),
    /** The simulated field: cards put on it by the embedded default, a test, or the chaos harness over IPC. */
    z.object({ backend: z.literal('sim') }),
  ]).default({ backend: 'sim' }),
  printer: z.discriminatedUnion('backend', [
    z.object({ backend: z.literal('escpos-serial'), ...serialPort.shape, columns: z.number().refine((c) => (PRINTER_COLUMNS as readonly number[]).includes(c), 'columns: 32, 35, 42, 44 or 48').default(32), pollMs: z.number().int().positive().default(2000) }),
    z.object({ backend: z.literal('sim'), columns: z.number().default(32) }),
    z.object({ backend: z.literal('none') }),
  ]),
  pinPad: z.discriminatedUnion('backend', [
    /** A real pad holds its key inside, injected at provisioning. */
    z.object({ backend: z.literal('serial'), ...serialPort.shape }),
    /** The simulated pad keeps its key where provisioning put it (sim/pin-pad/pad-memory.ts), never in this profile. */
    z.object({ backend: z.literal('sim') }),
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
  /** The screen. `none`: a kiosk without one of its own (the live view draws the simulator's). */
  display: z.discriminatedUnion('backend', [
    z.object({ backend: z.literal('fbdev'), device: z.string().default('/dev/fb0'), sysfsRoot: z.string().default('/sys/class/graphics') }),
    z.object({ backend: z.literal('none') }),
  ]).default({ backend: 'none' }),
  /** The touch panel over the display: raw axis range per the panel's calibration, and its rotation. */
  touch: z.discriminatedUnion('backend', [
    z.object({
      backend: z.literal('evdev'),
      device: z.string().min(1),
      calibration: z.object({ minX: z.number(), maxX: z.number(), minY: z.number(), maxY: z.number() }),
      rotation: z.union([z.literal(0), z.literal(90), z.literal(180), z.literal(270)]).default(0),
    }),
    z.object({ backend: z.literal('none') }),
  ]).default({ backend: 'none' }),
  /** Serial traffic trace for technicians; PIN pad frames are always shown redacted. */
  inspector: z.object({ enabled: z.boolean().default(false) }).default({ enabled: false }),
});

export type BoardProfile = z.infer<typeof boardProfileSchema>;
export type BoardProfileInput = z.input<typeof boardProfileSchema>;

/** Everything simulated: what the embedded default and the tests run. */
export const SIM_BOARD_PROFILE: BoardProfileInput = {
  reader: { backend: 'sim' },
  printer: { backend: 'sim' },
  pinPad: { backend: 'sim' },
  gpio: { backend: 'sim' },
  i2c: { backend: 'sim' },
};

/** `source` names the profile in errors: its file when it came from one. */
export function parseBoardProfile(input: unknown, source = 'board profile'): BoardProfile {
  return parseConfigSection(boardProfileSchema, input, source);
}
