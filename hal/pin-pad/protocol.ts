/**
 * The quancun PIN pad line protocol, shared by the serial driver and the device emulator.
 *
 * Frame: STX (0x02) | payload (printable ASCII, fields split by '|') | ETX (0x03) | LRC, where LRC is the XOR of the
 * payload bytes and ETX. Host to pad:
 *   `P`                       ping; pad answers `R|<kcv>` (first 3 bytes of the key check value, hex) or `R|NOKEY`
 *   `E|<pan12>|<min>|<max>`   start PIN entry; pad answers `A`, or `N|<reason>` (NOKEY, BUSY, FORMAT)
 *   `C`                       cancel entry; pad answers `Z` (not `X`: a late answer must not cancel the next entry)
 *   `I`                       info; pad answers `I|<serial>|<kcv>` or `I|<serial>|NOKEY` (serial: printable ASCII, <= 16)
 *   `L|<32 hex>|<6 hex>`      load a PIN key: a 2-key 3DES key encrypted (ECB) under the pad's transport key, and the
 *                             check value of the clear key. The transport key went into the pad at its factory and is
 *                             never sent; the pad decrypts, computes the check value and answers `R|<kcv>` when it
 *                             matches and the key is stored, or `N|KCV` (keeps its old key), `N|NOTK` (no transport
 *                             key), `N|BUSY` (an entry runs), `N|FORMAT`. The clear key never crosses the line.
 * Pad to host, during entry:
 *   `K|<n>`                   n digits are entered now (after a digit, CLEAR or BACKSPACE); never the digits
 *   `B|<16 hex>`              ENTER with min..max digits: the ISO 9564 format-0 block encrypted under the pad's PIN key
 *   `X`                       the cardholder pressed CANCEL
 * Sensitive fields (pan12, the key count, the PIN block, the encrypted key of L) are masked whenever a frame is traced.
 */
export const STX = 0x02;
export const ETX = 0x03;

export function lrc(bytes: Buffer): number {
  let x = 0;
  for (const b of bytes) x ^= b;
  return x;
}

export function encodeFrame(fields: string[]): Buffer {
  const payload = Buffer.from(fields.join('|'), 'ascii');
  const body = Buffer.concat([payload, Buffer.from([ETX])]);
  return Buffer.concat([Buffer.from([STX]), body, Buffer.from([lrc(body)])]);
}

/**
 * The frame as the traffic inspector may show it: the card digits of E, the count of K, the block of B and the
 * encrypted key of L masked (the check value of L stays: it is what a technician compares).
 */
export function redactFrame(fields: string[]): Buffer {
  const [cmd = '', ...rest] = fields;
  const secret = cmd === 'E' || cmd === 'L' ? 1 : cmd === 'K' || cmd === 'B' ? rest.length : 0;
  return encodeFrame([cmd, ...rest.map((f, i) => (i < secret ? '*'.repeat(f.length) : f))]);
}

/** A frame from the pad as the host reads it; null for a frame it does not know or that is not well formed (ignored). */
export type PadMessage =
  | { kind: 'ready'; keyCheckValue: string | undefined }
  | { kind: 'info'; serial: string; keyCheckValue: string | undefined }
  | { kind: 'accepted' }
  | { kind: 'refused'; reason: string }
  | { kind: 'progress'; digits: number }
  | { kind: 'block'; block: Buffer }
  | { kind: 'cancelled' };

const KCV = /^[0-9A-F]{6}$/i;
/** The pad's serial: what the enrolment request accepts as one (common/api/topics.ts). */
const SERIAL = /^[\x21-\x7e]{1,16}$/;

export function parsePadFrame([kind, value = '', third = '']: string[]): PadMessage | null {
  switch (kind) {
    case 'R':
      if (value === 'NOKEY') return { kind: 'ready', keyCheckValue: undefined };
      return KCV.test(value) ? { kind: 'ready', keyCheckValue: value } : null;
    case 'I':
      if (!SERIAL.test(value) || !(third === 'NOKEY' || KCV.test(third))) return null;
      return { kind: 'info', serial: value, keyCheckValue: third === 'NOKEY' ? undefined : third };
    case 'A':
      return { kind: 'accepted' };
    case 'N':
      return { kind: 'refused', reason: value };
    case 'K':
      return /^(\d|1[0-2])$/.test(value) ? { kind: 'progress', digits: Number(value) } : null;
    case 'B':
      return /^[0-9A-F]{16}$/i.test(value) ? { kind: 'block', block: Buffer.from(value, 'hex') } : null;
    case 'X':
      return { kind: 'cancelled' };
    default:
      return null;
  }
}

/**
 * The longest payload the protocol has: `L|<32 hex>|<6 hex>` (41 bytes); every pad answer is shorter. The reader is
 * shared by both ends, so this bounds what either keeps of a frame whose ETX never comes.
 */
export const MAX_PAYLOAD = 41;

/**
 * Splits a byte stream into frames; bytes outside frames, frames with a bad LRC and an STX with no ETX within
 * MAX_PAYLOAD bytes are dropped (the last two counted). After an overlong frame the reader resynchronises at the next
 * STX after the dropped one, so a line glitch costs the frame it hit and never grows the buffer.
 */
export class FrameReader {
  #buffer = Buffer.alloc(0);
  rejected = 0;

  push(chunk: Buffer): string[][] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const frames: string[][] = [];
    for (;;) {
      const start = this.#buffer.indexOf(STX);
      if (start < 0) {
        this.#buffer = Buffer.alloc(0);
        break;
      }
      this.#buffer = this.#buffer.subarray(start);
      // STX, payload, ETX: the ETX of a frame the protocol allows is at index MAX_PAYLOAD + 1 at the latest
      const end = this.#buffer.subarray(0, MAX_PAYLOAD + 2).indexOf(ETX, 1);
      if (end < 0 && this.#buffer.length >= MAX_PAYLOAD + 2) {
        this.rejected++;
        this.#buffer = this.#buffer.subarray(1);
        continue;
      }
      if (end < 0 || end + 1 >= this.#buffer.length) break;
      const body = this.#buffer.subarray(1, end + 1);
      const check = this.#buffer[end + 1];
      this.#buffer = this.#buffer.subarray(end + 2);
      if (lrc(body) !== check) {
        this.rejected++;
        continue;
      }
      frames.push(body.subarray(0, -1).toString('ascii').split('|'));
    }
    return frames;
  }
}
