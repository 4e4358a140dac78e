/**
 * Linux input_event records from the touch screen and the hardware keypad, in both record sizes (16 bytes for a
 * 32-bit process, 24 for a 64-bit one), in chunks as a read stream delivers them (a record may straddle two), through
 * the record parser, the touch decoder and the key decoder. Seeds: a tap and a key press as the kernel writes them.
 */
import { decodeKey } from '../../hal/touch/evdev-keypad.ts';
import { TouchDecoder, type TouchMapping } from '../../hal/touch/evdev-touch.ts';
import { EV_ABS, EV_KEY, EV_SYN, parseInputEvents, type RecordSize } from '../../hal/touch/input-event.ts';
import { bound, chunked, messageBytes, type FuzzTarget } from './target.ts';

const MAPPING: TouchMapping = { width: 800, height: 480, calibration: { minX: 200, maxX: 3900, minY: 3800, maxY: 250 }, rotation: 90 };

function record(size: RecordSize, type: number, code: number, value: number): Buffer {
  const out = Buffer.alloc(size);
  const half = size / 2 - 4;
  out.writeUInt32LE(0x6929b474, 0);
  out.writeUInt32LE(250_000, half);
  out.writeUInt16LE(type, 2 * half);
  out.writeUInt16LE(code, 2 * half + 2);
  out.writeInt32LE(value, 2 * half + 4);
  return out;
}

const tapAndKey = (size: RecordSize) => Buffer.concat([
  record(size, EV_ABS, 0x35, 1000), record(size, EV_ABS, 0x36, 2000), record(size, EV_KEY, 0x14a, 1), record(size, EV_SYN, 0, 0),
  record(size, EV_KEY, 0x14a, 0), record(size, EV_SYN, 0, 0), record(size, EV_KEY, 28, 1), record(size, EV_KEY, 28, 0),
]);

export const evdevTarget: FuzzTarget = {
  name: 'evdev',
  about: 'evdev input_event records (16 and 24 bytes) through the touch and keypad decoders',
  inputs: chunked(messageBytes([tapAndKey(16), tapAndKey(24)])),
  run(chunks) {
    for (const size of [16, 24] as const) {
      const touch = new TouchDecoder(MAPPING);
      let pending: Buffer = Buffer.alloc(0);
      let events = 0;
      for (const chunk of chunks) {
        // as InputEventReader does: the partial record left from the last chunk goes first
        const parsed = parseInputEvents(Buffer.concat([pending, chunk]), size);
        pending = parsed.rest;
        bound(pending.length < size, 'a whole record left unparsed');
        for (const ev of parsed.events) {
          events++;
          decodeKey(ev);
          const p = touch.feed(ev);
          if (p) bound(Number.isInteger(p.x) && Number.isInteger(p.y) && p.x >= 0 && p.x < 800 && p.y >= 0 && p.y < 480, 'a touch off the screen');
        }
      }
      bound(events * size <= chunks.reduce((n, c) => n + c.length, 0), 'more events than the bytes hold');
    }
  },
};
