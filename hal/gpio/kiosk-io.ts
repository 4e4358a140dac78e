/**
 * KioskIo on any GpioBackend: one software debounce for the door so both backends behave alike, LEDs, relay and
 * buzzer as outputs. A backend that cannot open its lines makes start() reject with DEVICE_UNAVAILABLE and emit
 * fault; it never throws out of an event.
 */
import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { QuancunError } from '../../common/errors.ts';
import type { Bit, GpioBackend, InputLine, KioskIo, KioskIoEvents, LedName, OutputLine } from './gpio.ts';

export interface KioskIoLines {
  /** sysfs numbers, already resolved for the chip base. */
  door: number;
  leds: Record<LedName, number>;
  cardReaderPower: number;
  buzzer: number;
}

export interface KioskIoOptions {
  lines: KioskIoLines;
  /** A door switch closed when the door is shut reads 0 on open with a pull-up: say which level means open. */
  doorOpenLevel: Bit;
  /** Relay boards are often active low. */
  relayActiveLow?: boolean;
  debounceMs?: number;
}

export class GpioKioskIo extends EventEmitter<KioskIoEvents> implements KioskIo {
  #backend: () => GpioBackend;
  #options: KioskIoOptions;
  #door: InputLine | undefined;
  #outputs = new Map<string, OutputLine>();
  #doorOpen = false;
  #debounce: NodeJS.Timeout | undefined;

  /** The backend is created in start(), so an absent one is a reported fault, not a constructor crash. */
  constructor(backend: () => GpioBackend, options: KioskIoOptions) {
    super();
    this.#backend = backend;
    this.#options = options;
  }

  get doorOpen(): boolean {
    return this.#doorOpen;
  }

  async start(): Promise<void> {
    const { lines, relayActiveLow = false } = this.#options;
    try {
      const backend = this.#backend();
      this.#door = backend.input(lines.door, { activeLow: false });
      for (const [name, line] of Object.entries(lines.leds)) this.#outputs.set(`led:${name}`, backend.output(line, { activeLow: false }));
      this.#outputs.set('relay', backend.output(lines.cardReaderPower, { activeLow: relayActiveLow }));
      this.#outputs.set('buzzer', backend.output(lines.buzzer, { activeLow: false }));
      this.#doorOpen = (await this.#door.read()) === this.#options.doorOpenLevel;
    } catch (err) {
      const error = err instanceof QuancunError ? err : new QuancunError('DEVICE_UNAVAILABLE', `GPIO: ${(err as Error).message}`, {}, { cause: err });
      this.#closeAll();
      this.emit('fault', error);
      throw error;
    }
    this.#door.watch(() => this.#edge());
    if (this.#doorOpen) this.emit('door', true);
  }

  async stop(): Promise<void> {
    clearTimeout(this.#debounce);
    this.#closeAll();
  }

  setLed(led: LedName, on: boolean): Promise<void> {
    return this.#write(`led:${led}`, on ? 1 : 0);
  }

  setCardReaderPower(on: boolean): Promise<void> {
    return this.#write('relay', on ? 1 : 0);
  }

  async beep(pattern: number[]): Promise<void> {
    for (const [i, ms] of pattern.entries()) {
      await this.#write('buzzer', i % 2 === 0 ? 1 : 0);
      await sleep(ms);
    }
    await this.#write('buzzer', 0);
  }

  /** Every raw edge restarts the timer; the level read when it settles decides. */
  #edge(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => {
      this.#door?.read().then(
        (value) => {
          const open = value === this.#options.doorOpenLevel;
          if (open === this.#doorOpen) return;
          this.#doorOpen = open;
          this.emit('door', open);
        },
        (err: Error) => this.emit('fault', new QuancunError('DEVICE_UNAVAILABLE', `door switch: ${err.message}`, {}, { cause: err })),
      );
    }, this.#options.debounceMs ?? 50);
  }

  async #write(name: string, value: Bit): Promise<void> {
    const line = this.#outputs.get(name);
    if (!line) throw new QuancunError('DEVICE_UNAVAILABLE', `GPIO output ${name} is not open`);
    await line.write(value);
  }

  #closeAll(): void {
    this.#door?.close();
    this.#door = undefined;
    for (const line of this.#outputs.values()) line.close();
    this.#outputs.clear();
  }
}
