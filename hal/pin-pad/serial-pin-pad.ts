/**
 * The PIN pad driver: the PinPad interface over the line protocol in protocol.ts, on any SerialLink (a real port or
 * the in-memory cable). It never sees a clear PIN: the pad returns the encrypted format-0 block. The pad is pinged
 * all the time (a pty only reports a vanished peer on write), so a pad that vanished is reported (fault) and one
 * that returns is reported (ready).
 */
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { SerialLink } from '../serial/serial-link.ts';
import type { PinEntryRequest, PinPad, PinPadEvents } from './pin-pad.ts';
import { encodeFrame, FrameReader, parsePadFrame, redactFrame, type PadMessage } from './protocol.ts';

export interface SerialPinPadOptions {
  /** How long the pad has to answer a command. */
  answerTimeoutMs?: number;
  /** Idle health ping period. */
  pingMs?: number;
}

export class SerialPinPad extends EventEmitter<PinPadEvents> implements PinPad {
  readonly name: string;
  #link: SerialLink;
  #reader = new FrameReader();
  #answerTimeoutMs: number;
  #pingMs: number;
  #pingTimer: NodeJS.Timeout | undefined;
  /** Who takes the next entry frame (A, N, K, B, X); pings have their own slot, so the pad is pinged during entry too. */
  #waiter: ((message: PadMessage) => void) | undefined;
  #pong: ((keyCheckValue: string | undefined) => void) | undefined;
  /** undefined until the first ping answers or fails, so an absent pad is reported at start too. */
  #healthy: boolean | undefined;
  #entry = false;
  #running = false;
  #pinging: Promise<void> | undefined;
  /** The key check value the pad reported (3 bytes hex), or undefined before the first answer. */
  keyCheckValue: string | undefined;

  constructor(link: SerialLink, options: SerialPinPadOptions = {}) {
    super();
    this.name = link.name;
    this.#link = link;
    this.#answerTimeoutMs = options.answerTimeoutMs ?? 2000;
    this.#pingMs = options.pingMs ?? 2000;
    link.on('data', (chunk) => {
      for (const fields of this.#reader.push(chunk)) {
        link.traceRx(redactFrame(fields));
        const message = parsePadFrame(fields);
        if (message?.kind === 'ready') this.#pong?.(message.keyCheckValue);
        else if (message) this.#waiter?.(message);
      }
    });
    link.on('up', () => void this.#ping());
    link.on('down', (err) => this.#setHealthy(false, err));
  }

  get ready(): boolean {
    return this.#healthy === true;
  }

  async start(): Promise<void> {
    this.#running = true;
    await this.#link.start();
    await this.#pinging;
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#pingTimer);
    await this.#link.stop();
  }

  async readPinBlock(request: PinEntryRequest): Promise<Buffer> {
    const { pan12, minLength = 4, maxLength = 12, signal } = request;
    if (!/^\d{12}$/.test(pan12)) throw new RangeError('pan12 must be 12 digits');
    if (this.#entry) throw new QuancunError('TXN_STATE', 'a PIN entry is already running on this pad');
    if (signal?.aborted) throw new QuancunError('PIN_ENTRY_CANCELLED');
    this.#entry = true;
    try {
      return await this.#runEntry(['E', pan12, String(minLength), String(maxLength)], signal);
    } finally {
      this.#entry = false;
    }
  }

  /** One handler for every entry frame, set before E goes out: A and the first K can arrive in one chunk. */
  #runEntry(command: string[], signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.#waiter = undefined;
        signal?.removeEventListener('abort', onAbort);
        this.#link.off('down', onDown);
        settle();
      };
      const unavailable = (message: string, cause?: Error) =>
        new QuancunError('DEVICE_UNAVAILABLE', message, { device: this.name }, { cause });
      const timer = setTimeout(() => finish(() => reject(unavailable('PIN pad did not accept the entry'))), this.#answerTimeoutMs);
      const onAbort = () => {
        finish(() => reject(new QuancunError('PIN_ENTRY_CANCELLED')));
        void this.#send(['C']).catch(() => {}); // best effort: a pad that missed it refuses nothing, the next E resets it
      };
      const onDown = (err: Error) => finish(() => reject(unavailable('PIN pad lost during entry', err)));
      this.#waiter = (m) => {
        if (m.kind === 'accepted') clearTimeout(timer);
        else if (m.kind === 'refused') finish(() => reject(new QuancunError('DEVICE_PROTOCOL', `PIN pad refused entry: ${m.reason}`, { reason: m.reason })));
        else if (m.kind === 'progress') this.emit('progress', m.digits);
        else if (m.kind === 'cancelled') finish(() => reject(new QuancunError('PIN_ENTRY_CANCELLED')));
        else if (m.kind === 'block') finish(() => resolve(m.block));
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#link.on('down', onDown);
      this.#send(command).catch((err: Error) => finish(() => reject(err)));
    });
  }

  #send(fields: string[]): Promise<void> {
    return this.#link.write(encodeFrame(fields), redactFrame(fields));
  }

  #ping(): Promise<void> {
    if (this.#pinging || !this.#link.isUp) return Promise.resolve();
    this.#pinging = (async () => {
      try {
        this.keyCheckValue = await new Promise<string | undefined>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error('no answer to ping')), this.#answerTimeoutMs);
          this.#pong = (keyCheckValue) => {
            clearTimeout(timer);
            resolve(keyCheckValue);
          };
          this.#send(['P']).catch((err: Error) => {
            clearTimeout(timer);
            reject(err);
          });
        });
        this.#setHealthy(true);
      } catch (err) {
        this.#setHealthy(false, err as Error);
      }
      this.#pong = undefined;
      this.#pinging = undefined;
      this.#schedulePing();
    })();
    return this.#pinging;
  }

  #schedulePing(): void {
    clearTimeout(this.#pingTimer);
    if (!this.#running) return;
    this.#pingTimer = setTimeout(() => void this.#ping(), this.#pingMs);
  }

  #setHealthy(healthy: boolean, err?: Error): void {
    if (healthy === this.#healthy || (!healthy && !this.#running)) return;
    this.#healthy = healthy;
    if (healthy) this.emit('ready');
    else this.emit('fault', new QuancunError('DEVICE_UNAVAILABLE', `PIN pad unavailable: ${err?.message}`, { device: this.name }, { cause: err }));
  }
}
