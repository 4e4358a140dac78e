/**
 * A hardware keypad (USB or matrix keypad exposed as an evdev keyboard) beside the screen: digits, delete, enter and
 * escape become the same keys as the on-screen keypad. This is not the PIN pad: bank PIN digits never come here.
 */
import { EventEmitter } from 'node:events';
import type { KeypadKey } from '../../screens/view-model.ts';
import { EV_KEY, InputEventReader, type InputEvent, type RecordSize } from './input-event.ts';

export type HardKey = KeypadKey | 'cancel';

/** Linux key codes (input-event-codes.h): top-row digits, keypad digits, and the editing keys. */
const KEYS = new Map<number, HardKey>([
  [2, '1'], [3, '2'], [4, '3'], [5, '4'], [6, '5'], [7, '6'], [8, '7'], [9, '8'], [10, '9'], [11, '0'],
  [79, '1'], [80, '2'], [81, '3'], [75, '4'], [76, '5'], [77, '6'], [71, '7'], [72, '8'], [73, '9'], [82, '0'],
  [14, 'del'], [111, 'del'], [28, 'ok'], [96, 'ok'], [1, 'cancel'],
]);

/** Key presses only: releases (0) and auto-repeat (2) are ignored, so a held key types once. */
export function decodeKey(ev: InputEvent): HardKey | null {
  return ev.type === EV_KEY && ev.value === 1 ? (KEYS.get(ev.code) ?? null) : null;
}

export interface EvdevKeypadEvents {
  key: [key: HardKey];
  error: [error: Error];
  end: [];
}

export class EvdevKeypad extends EventEmitter<EvdevKeypadEvents> {
  private readonly reader: InputEventReader;

  constructor(options: { device: string; recordSize?: RecordSize | 'auto' }) {
    super();
    this.reader = new InputEventReader(options.device, options.recordSize ?? 'auto');
    this.reader.on('event', (ev) => {
      const key = decodeKey(ev);
      if (key) this.emit('key', key);
    });
    this.reader.on('error', (err) => this.emit('error', err));
    this.reader.on('end', () => this.emit('end'));
  }

  start(): void {
    this.reader.start();
  }

  close(): void {
    this.reader.close();
  }
}
