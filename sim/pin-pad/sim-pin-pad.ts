/**
 * A simulated PIN pad in-process: the real driver (SerialPinPad) wired to the emulator over the in-memory cable, so
 * the load flow and the embedded default exercise the same driver code a board runs.
 */
import { PinPadEmulator, type Keypad, type PinPadEmulatorOptions } from './pin-pad-emulator.ts';
import { memoryCable, type MemoryCable } from '../../hal/serial/memory-cable.ts';
import { SerialLink } from '../../hal/serial/serial-link.ts';
import type { TrafficInspector } from '../../hal/serial/traffic-inspector.ts';
import type { PinPad } from '../../hal/pin-pad/pin-pad.ts';
import { SerialPinPad, type SerialPinPadOptions } from '../../hal/pin-pad/serial-pin-pad.ts';

export interface SimPinPad {
  pinPad: PinPad;
  keypad: Keypad;
  /** Pull and plug back the pad's cable. */
  cable: Pick<MemoryCable, 'unplug' | 'replug' | 'plugged'>;
}

export interface SimPinPadOptions extends SerialPinPadOptions, Omit<PinPadEmulatorOptions, 'key'> {
  /** The PIN key the pad holds (8, 16 or 24 bytes; hex or bytes). */
  key?: string | Buffer;
  name?: string;
  inspector?: TrafficInspector;
  backoffMs?: number;
}

export function createSimPinPad(options: SimPinPadOptions = {}): SimPinPad {
  const { key: given, serial, transportKey, store } = options;
  const key = Buffer.isBuffer(given) ? given.toString('hex') : given;
  const emulator = new PinPadEmulator({ ...(key ? { key } : {}), ...(serial ? { serial } : {}), ...(transportKey ? { transportKey } : {}), ...(store ? { store } : {}) });
  const cable = memoryCable((end) => emulator.attach(end));
  const link = new SerialLink({
    name: options.name ?? 'pin-pad',
    open: cable.open,
    inspector: options.inspector,
    traceRx: false,
    backoff: { initialMs: options.backoffMs ?? 100, maxMs: 2000 },
  });
  return { pinPad: new SerialPinPad(link, options), keypad: emulator, cable };
}
