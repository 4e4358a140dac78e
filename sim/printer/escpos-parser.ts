/**
 * An incremental ESC/POS parser for the printer emulator: bytes in (in any chunking), operations out. It knows the
 * commands a receipt printer driver sends — text in single-byte or Chinese (FS &, GB18030) mode, styles, alignment,
 * GS ( k QR codes, GS V cuts, DLE EOT status queries — and reports anything else as unknown rather than guessing.
 */
import iconv from 'iconv-lite';

export type Align = 'left' | 'center' | 'right';

export type EscPosOp =
  | { op: 'text'; text: string }
  | { op: 'newline' }
  | { op: 'init' }
  | { op: 'align'; align: Align }
  | { op: 'bold'; on: boolean }
  | { op: 'size'; width: number; height: number }
  | { op: 'feed'; lines: number }
  | { op: 'qr-size'; size: number }
  | { op: 'qr-store'; data: Buffer }
  | { op: 'qr-print' }
  | { op: 'cut'; partial: boolean }
  | { op: 'status'; n: number }
  /** Understood, no effect on the rendering (font, code page, line spacing, underline, QR model and level...). */
  | { op: 'setting'; bytes: Buffer }
  | { op: 'unknown'; byte: number };

const ESC = 0x1b;
const GS = 0x1d;
const FS = 0x1c;
const DLE = 0x10;

export class EscPosParser {
  #buffer = Buffer.alloc(0);
  #chinese = false;

  push(chunk: Buffer): EscPosOp[] {
    this.#buffer = Buffer.concat([this.#buffer, chunk]);
    const ops: EscPosOp[] = [];
    let text = '';
    const flush = () => {
      if (text) ops.push({ op: 'text', text });
      text = '';
    };
    for (;;) {
      const b = this.#buffer;
      if (b.length === 0) break;
      const first = b[0]!;
      if (first >= 0x20 && first !== 0x7f) {
        const ch = this.#char(b);
        if (ch === undefined) break; // a multi-byte character cut between chunks
        text += ch.text;
        this.#buffer = b.subarray(ch.length);
        continue;
      }
      flush();
      const cmd = this.#command(b);
      if (cmd === undefined) break;
      if (cmd.op) ops.push(cmd.op);
      this.#buffer = b.subarray(cmd.length);
    }
    flush();
    return ops;
  }

  #char(b: Buffer): { text: string; length: number } | undefined {
    const lead = b[0]!;
    if (lead < 0x80) return { text: String.fromCharCode(lead), length: 1 };
    if (!this.#chinese || lead === 0x80 || lead === 0xff) return { text: '\ufffd', length: 1 };
    if (b.length < 2) return undefined;
    const second = b[1]!;
    const length = second >= 0x30 && second <= 0x39 ? 4 : 2; // GB18030 four-byte sequences have a digit second
    if (b.length < length) return undefined;
    return { text: iconv.decode(b.subarray(0, length), 'gb18030'), length };
  }

  /** The command at the head of the buffer and its length, or undefined when more bytes are needed. */
  #command(b: Buffer): { op?: EscPosOp; length: number } | undefined {
    const need = (n: number) => b.length >= n;
    const setting = (n: number) => (need(n) ? { op: { op: 'setting', bytes: Buffer.from(b.subarray(0, n)) } as const, length: n } : undefined);
    const [c0, c1, c2] = [b[0]!, b[1], b[2]];
    if (c0 === 0x0a) return { op: { op: 'newline' }, length: 1 };
    if (c0 === 0x0d) return { length: 1 };
    if (c0 !== ESC && c0 !== GS && c0 !== FS && c0 !== DLE) return { op: { op: 'unknown', byte: c0 }, length: 1 };
    if (c1 === undefined) return undefined;
    if (c0 === DLE) {
      if (c1 !== 0x04) return { op: { op: 'unknown', byte: c0 }, length: 1 };
      return need(3) ? { op: { op: 'status', n: c2! }, length: 3 } : undefined;
    }
    if (c0 === FS) {
      if (c1 === 0x26 || c1 === 0x2e) {
        this.#chinese = c1 === 0x26;
        return { op: { op: 'setting', bytes: Buffer.from(b.subarray(0, 2)) }, length: 2 };
      }
      if (c1 === 0x21 || c1 === 0x2d) return setting(3);
      return { op: { op: 'unknown', byte: c0 }, length: 1 };
    }
    if (c0 === ESC) {
      if (c1 === 0x40) {
        this.#chinese = false;
        return { op: { op: 'init' }, length: 2 };
      }
      if (c1 === 0x32 || c1 === 0x69 || c1 === 0x6d) return c1 === 0x32 ? setting(2) : { op: { op: 'cut', partial: true }, length: 2 };
      if (!need(3)) return undefined;
      const n = c2!;
      switch (c1) {
        case 0x61: return { op: { op: 'align', align: n % 48 === 1 ? 'center' : n % 48 === 2 ? 'right' : 'left' }, length: 3 };
        case 0x45: return { op: { op: 'bold', on: (n & 1) === 1 }, length: 3 };
        case 0x64: return { op: { op: 'feed', lines: n }, length: 3 };
        case 0x21: return { op: { op: 'size', width: n & 0x20 ? 2 : 1, height: n & 0x10 ? 2 : 1 }, length: 3 };
        case 0x4d: case 0x74: case 0x2d: case 0x33: case 0x4a: case 0x47: case 0x56: case 0x7b: case 0x72: return setting(3);
      }
      return { op: { op: 'unknown', byte: c0 }, length: 1 };
    }
    // GS
    if (c1 === 0x28 && c2 === 0x6b) {
      if (!need(5)) return undefined;
      const length = 5 + b[3]! + b[4]! * 256;
      if (!need(length)) return undefined;
      const [cn, fn] = [b[5], b[6]];
      if (cn !== 0x31) return setting(length);
      if (fn === 0x50) return { op: { op: 'qr-store', data: Buffer.from(b.subarray(8, length)) }, length };
      if (fn === 0x51) return { op: { op: 'qr-print' }, length };
      if (fn === 0x43) return { op: { op: 'qr-size', size: b[7]! }, length };
      return setting(length);
    }
    if (c1 === 0x56) {
      if (!need(3)) return undefined;
      const m = c2!;
      const withFeed = m === 65 || m === 66;
      if (withFeed && !need(4)) return undefined;
      return { op: { op: 'cut', partial: m === 1 || m === 49 || m === 66 }, length: withFeed ? 4 : 3 };
    }
    if (c1 === 0x21) return need(3) ? { op: { op: 'size', width: (c2! >> 4) + 1, height: (c2! & 0x0f) + 1 }, length: 3 } : undefined;
    if (c1 === 0x42 || c1 === 0x68 || c1 === 0x77 || c1 === 0x48 || c1 === 0x66) return setting(3);
    if (c1 === 0x4c || c1 === 0x57) return setting(4);
    return { op: { op: 'unknown', byte: c0 }, length: 1 };
  }
}
