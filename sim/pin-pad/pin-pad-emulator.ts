/**
 * The PIN pad as a device: it speaks the protocol in hal/pin-pad/protocol.ts on whatever stream it is attached to
 * (the in-memory cable or a socat pty), holds the PIN key, and builds and encrypts the format-0 block itself, so the
 * clear PIN never leaves this module. Like a real pad it has a serial and a transport key from its factory, and takes
 * a new PIN key only encrypted under that transport key and with the clear key's check value (`L`), keeping it where
 * its `store` puts it (sim/pin-pad/pad-memory.ts). The device-side keypad handle is what a cardholder's fingers would do.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { desDecrypt } from '../../common/crypto/des.ts';
import { keyCheckValue } from '../../common/crypto/key-check.ts';
import { encryptPinBlock, pinBlockFormat0 } from '../../common/crypto/pin-block.ts';
import { encodeFrame, FrameReader } from '../../hal/pin-pad/protocol.ts';

export type PadKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'ENTER' | 'CANCEL' | 'CLEAR' | 'BACKSPACE';

export interface KeypadEvents {
  /** The host started a PIN entry: the keypad is live. */
  entry: [];
  /** The entry ended (block sent or cancelled). */
  idle: [];
}

/** The device-side handle tests and the simulator panel drive. */
export interface Keypad extends EventEmitter<KeypadEvents> {
  readonly entryActive: boolean;
  press(key: PadKey): void;
  type(digits: string): void;
  enter(): void;
  cancel(): void;
  /** Load a PIN key (16 or 32 hex digits as a real pad takes them at key injection). */
  setKey(hex: string): void;
}

export interface PinPadEmulatorOptions {
  /** The PIN key it holds now (hex, 8, 16 or 24 bytes). */
  key?: string;
  /** Its serial, as `I` reports it; printable ASCII without `|`, at most 16. */
  serial?: string;
  /** The 16-byte transport key its factory loaded (hex); without one it refuses `L` with NOTK. */
  transportKey?: string;
  /** Keeps a key loaded with `L` across power cycles; the pad answers only once it resolves. */
  store?: (key: Buffer) => Promise<void>;
}

const kcvHex = (key: Buffer) => keyCheckValue(key, 3).toString('hex').toUpperCase();

export class PinPadEmulator extends EventEmitter<KeypadEvents> implements Keypad {
  #key: Buffer | undefined;
  readonly serial: string;
  #transportKey: Buffer | undefined;
  #store: (key: Buffer) => Promise<void>;
  #stream: Duplex | undefined;
  #reader = new FrameReader();
  #entry: { pan12: string; min: number; max: number; digits: string } | undefined;

  constructor(options: PinPadEmulatorOptions = {}) {
    super();
    if (options.key) this.setKey(options.key);
    this.serial = options.serial ?? 'SIM-PAD';
    if (!/^[\x21-\x7b\x7d\x7e]{1,16}$/.test(this.serial)) throw new RangeError('a pad serial is 1 to 16 printable ASCII characters without "|"');
    if (options.transportKey !== undefined && !/^[0-9A-Fa-f]{32}$/.test(options.transportKey)) throw new RangeError('a transport key is 16 bytes of hex');
    this.#transportKey = options.transportKey ? Buffer.from(options.transportKey, 'hex') : undefined;
    this.#store = options.store ?? (async () => {});
  }

  get entryActive(): boolean {
    return this.#entry !== undefined;
  }

  setKey(hex: string): void {
    if (!/^([0-9A-Fa-f]{16}|[0-9A-Fa-f]{32}|[0-9A-Fa-f]{48})$/.test(hex)) throw new RangeError('a PIN key is 8, 16 or 24 bytes of hex');
    this.#key = Buffer.from(hex, 'hex');
  }

  /** Connect to a stream (cable end or opened pty); a new attach replaces the old one, as a replugged cable does. */
  attach(stream: Duplex): void {
    this.#stream = stream;
    this.#reader = new FrameReader();
    this.#end(false);
    stream.on('data', (chunk: Buffer) => {
      if (this.#stream === stream) for (const fields of this.#reader.push(chunk)) this.#command(fields);
    });
    stream.on('error', () => {}); // a pulled cable is the host's problem to report
    stream.on('close', () => {
      if (this.#stream === stream) this.#stream = undefined;
    });
  }

  press(key: PadKey): void {
    const entry = this.#entry;
    if (!entry) return; // keys outside an entry go nowhere, like a real pad
    if (/^\d$/.test(key)) {
      if (entry.digits.length >= entry.max) return;
      entry.digits += key;
    } else if (key === 'CLEAR') entry.digits = '';
    else if (key === 'BACKSPACE') entry.digits = entry.digits.slice(0, -1);
    else if (key === 'CANCEL') {
      this.#send(['X']);
      this.#end();
      return;
    } else if (key === 'ENTER') {
      if (entry.digits.length < entry.min) return; // too short: the pad beeps and waits
      const clear = pinBlockFormat0(entry.digits, entry.pan12);
      const block = encryptPinBlock(this.#key!, clear);
      clear.fill(0);
      this.#send(['B', block.toString('hex').toUpperCase()]);
      this.#end();
      return;
    }
    this.#send(['K', String(entry.digits.length)]);
  }

  type(digits: string): void {
    for (const d of digits) this.press(d as PadKey);
  }

  enter(): void {
    this.press('ENTER');
  }

  cancel(): void {
    this.press('CANCEL');
  }

  #command(fields: string[]): void {
    const [cmd, ...args] = fields;
    if (cmd === 'P') {
      this.#send(['R', this.#key ? kcvHex(this.#key) : 'NOKEY']);
    } else if (cmd === 'I') {
      this.#send(['I', this.serial, this.#key ? kcvHex(this.#key) : 'NOKEY']);
    } else if (cmd === 'L') {
      void this.#loadKey(args[0] ?? '', args[1] ?? '');
    } else if (cmd === 'C') {
      this.#end();
      this.#send(['Z']);
    } else if (cmd === 'E') {
      const [pan12 = '', min = '', max = ''] = args;
      const lo = Number(min);
      const hi = Number(max);
      if (!this.#key) return this.#send(['N', 'NOKEY']);
      if (!/^\d{12}$/.test(pan12) || !(lo >= 4 && hi <= 12 && lo <= hi)) return this.#send(['N', 'FORMAT']);
      if (this.#entry) return this.#send(['N', 'BUSY']);
      this.#entry = { pan12, min: lo, max: hi, digits: '' };
      this.#send(['A']);
      this.emit('entry');
    }
  }

  /** Decrypts under the transport key; stores and takes the key only when its check value is the one sent. */
  async #loadKey(underTk: string, kcv: string): Promise<void> {
    if (!/^[0-9A-F]{32}$/i.test(underTk) || !/^[0-9A-F]{6}$/i.test(kcv)) return this.#send(['N', 'FORMAT']);
    if (!this.#transportKey) return this.#send(['N', 'NOTK']);
    if (this.#entry) return this.#send(['N', 'BUSY']);
    const key = desDecrypt(this.#transportKey, Buffer.from(underTk, 'hex'));
    if (kcvHex(key) !== kcv.toUpperCase()) {
      key.fill(0);
      return this.#send(['N', 'KCV']);
    }
    try {
      await this.#store(key);
    } catch {
      return this.#send(['N', 'STORE']);
    }
    this.#key = key;
    this.#send(['R', kcvHex(key)]);
  }

  #end(notify = true): void {
    if (!this.#entry) return;
    this.#entry.digits = '';
    this.#entry = undefined;
    if (notify) this.emit('idle');
  }

  #send(fields: string[]): void {
    if (this.#stream && !this.#stream.destroyed) this.#stream.write(encodeFrame(fields));
  }
}
