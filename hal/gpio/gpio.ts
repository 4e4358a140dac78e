/**
 * The kiosk I/O device kind: door/tamper switch in, status LEDs, the card reader's power relay and a buzzer out.
 * `KioskIo` is what the runtime uses; it is built once (kiosk-io.ts) on a `GpioBackend` of plain lines, which is
 * onoff on a board (onoff-backend.ts) and an in-memory line set in the simulator (sim/gpio/sim-gpio.ts).
 */
import type { EventEmitter } from 'node:events';

export type Bit = 0 | 1;

export interface InputLine {
  read(): Promise<Bit>;
  /** Called on every raw edge (both directions); debouncing is the caller's. */
  watch(onEdge: (value: Bit) => void): void;
  close(): void;
}

export interface OutputLine {
  write(value: Bit): Promise<void>;
  close(): void;
}

/** Lines by sysfs number, already resolved for the chip base (see line-numbers.ts). Values are logical (activeLow applied). */
export interface GpioBackend {
  input(line: number, options: { activeLow: boolean }): InputLine;
  output(line: number, options: { activeLow: boolean }): OutputLine;
}

export type LedName = 'ready' | 'busy' | 'fault';

export interface KioskIoEvents {
  /** The door (or tamper switch) settled open or closed: open means go out of service and report. */
  door: [open: boolean];
  fault: [error: Error];
}

export interface KioskIo extends EventEmitter<KioskIoEvents> {
  readonly doorOpen: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  setLed(led: LedName, on: boolean): Promise<void>;
  setCardReaderPower(on: boolean): Promise<void>;
  /** Alternating on/off durations in ms, starting with on; resolves when the pattern has played. */
  beep(pattern: number[]): Promise<void>;
}
