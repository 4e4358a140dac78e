/**
 * Simulated GPIO lines and the device-side handle of the kiosk's wiring: open/close (or rattle) the door, see LEDs,
 * the card reader's power relay and what the buzzer played. The KioskIo on top is the same code a board runs.
 */
import { GpioKioskIo, type KioskIoLines } from '../../hal/gpio/kiosk-io.ts';
import type { Bit, GpioBackend, KioskIo, LedName } from '../../hal/gpio/gpio.ts';

export class SimGpioBackend implements GpioBackend {
  /** Physical levels by line number. */
  readonly levels = new Map<number, Bit>();
  /** Every write per line, in order. */
  readonly writes = new Map<number, Bit[]>();
  #watchers = new Map<number, ((v: Bit) => void)[]>();

  input(line: number, { activeLow }: { activeLow: boolean }) {
    const logical = () => ((this.levels.get(line) ?? 0) ^ (activeLow ? 1 : 0)) as Bit;
    return {
      read: async () => logical(),
      watch: (onEdge: (v: Bit) => void) => this.#watchers.set(line, [...(this.#watchers.get(line) ?? []), () => onEdge(logical())]),
      close: () => this.#watchers.delete(line),
    };
  }

  output(line: number, { activeLow }: { activeLow: boolean }) {
    return {
      write: async (value: Bit) => {
        const level = (value ^ (activeLow ? 1 : 0)) as Bit;
        this.levels.set(line, level);
        this.writes.set(line, [...(this.writes.get(line) ?? []), value]);
      },
      close: () => {},
    };
  }

  /** Drive an input as the outside world would; watchers see every edge. */
  drive(line: number, level: Bit): void {
    if (this.levels.get(line) === level) return;
    this.levels.set(line, level);
    for (const w of this.#watchers.get(line) ?? []) w(level);
  }
}

export interface KioskWiring {
  openDoor(): void;
  closeDoor(): void;
  /** Contact bounce: `edges` quick toggles ending in the opposite state. */
  rattleDoor(edges: number): void;
  led(name: LedName): boolean;
  readonly cardReaderPowered: boolean;
  /** Logical values the buzzer line was set to, in order. */
  readonly buzzerWrites: readonly Bit[];
}

export const SIM_LINES: KioskIoLines = { door: 4, leds: { ready: 17, busy: 27, fault: 22 }, cardReaderPower: 23, buzzer: 24 };

export function createSimKioskIo(options: { debounceMs?: number; doorOpen?: boolean } = {}): { io: KioskIo; wiring: KioskWiring; backend: SimGpioBackend } {
  const backend = new SimGpioBackend();
  const lines = SIM_LINES;
  // door switch to ground with a pull-up: closed door reads 0, open reads 1
  backend.levels.set(lines.door, options.doorOpen ? 1 : 0);
  const io = new GpioKioskIo(() => backend, { lines, doorOpenLevel: 1, relayActiveLow: true, debounceMs: options.debounceMs ?? 20 });
  const wiring: KioskWiring = {
    openDoor: () => backend.drive(lines.door, 1),
    closeDoor: () => backend.drive(lines.door, 0),
    rattleDoor(edges) {
      for (let i = 0; i < edges; i++) backend.drive(lines.door, ((backend.levels.get(lines.door) ?? 0) ^ 1) as Bit);
    },
    led: (name) => backend.levels.get(lines.leds[name]) === 1,
    // the relay is active low: powered when the line is driven low
    get cardReaderPowered() {
      return backend.levels.get(lines.cardReaderPower) === 0;
    },
    get buzzerWrites() {
      return backend.writes.get(lines.buzzer) ?? [];
    },
  };
  return { io, wiring, backend };
}
