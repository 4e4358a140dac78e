/**
 * The PIN pad driver: the PinPad interface over the line protocol in protocol.ts, on any SerialLink (a real port or
 * the in-memory cable). It never sees a clear PIN: the pad returns the encrypted format-0 block. The pad is pinged
 * all the time (a pty only reports a vanished peer on write), so a pad that vanished is reported (fault) and one
 * that returns is reported (ready).
 */
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { SerialLink } from '../serial/serial-link.ts';
import type { PinEntryRequest, PinPad, PinPadEvents, PinPadInfo } from './pin-pad.ts';
import { encodeFrame, FrameReader, parsePadFrame, redactFrame, type PadMessage } from './protocol.ts';
import { answerDeadline, askUpTo } from '../../common/answer-deadline.ts';

export interface SerialPinPadOptions {
  /** How long the pad has to answer a command. */
  answerTimeoutMs?: number;
  /** Idle health ping period. */
  pingMs?: number;
  /** Pings in a row without an answer before the pad counts as gone. */
  pingTries?: number;
}

/** What the pad's refusals of L mean, for the installer. */
const PAD_REFUSALS: Record<string, string> = {
  KCV: 'the check value does not match the key it decrypted (wrong transport key?); it keeps its old key',
  NOTK: 'it holds no transport key (not loaded at its factory)',
  BUSY: 'a PIN entry is running',
  FORMAT: 'malformed command',
  STORE: 'it could not store the key; it keeps its old key',
};

export class SerialPinPad extends EventEmitter<PinPadEvents> implements PinPad {
  readonly name: string;
  #link: SerialLink;
  #reader = new FrameReader();
  #answerTimeoutMs: number;
  #pingMs: number;
  #pingTries: number;
  #pingTimer: NodeJS.Timeout | undefined;
  /** Who takes the next entry frame (A, N, K, B, X); pings have their own slot, so the pad is pinged during entry too. */
  #waiter: ((message: PadMessage) => void) | undefined;
  #pong: ((keyCheckValue: string | undefined) => void) | undefined;
  /** Who takes the answer to I or L, once sent: every frame is that answer (see #exchange). */
  #answer: ((message: PadMessage) => void) | undefined;
  /** An I or L runs: no ping and no entry starts. */
  #exclusive = false;
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
    this.#pingTries = options.pingTries ?? 3;
    link.on('data', (chunk) => {
      for (const fields of this.#reader.push(chunk)) {
        link.traceRx(redactFrame(fields));
        const message = parsePadFrame(fields);
        if (message && this.#answer) this.#answer(message);
        else if (message?.kind === 'ready') this.#pong?.(message.keyCheckValue);
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
    if (this.#entry || this.#exclusive) throw new QuancunError('TXN_STATE', 'a PIN entry or key load is already running on this pad');
    if (signal?.aborted) throw new QuancunError('PIN_ENTRY_CANCELLED');
    this.#entry = true;
    try {
      return await this.#runEntry(['E', pan12, String(minLength), String(maxLength)], signal);
    } finally {
      this.#entry = false;
    }
  }

  async info(): Promise<PinPadInfo> {
    const info = await this.#exchange(['I'], (m) => (m.kind === 'info' ? { serial: m.serial, keyCheckValue: m.keyCheckValue } : undefined));
    this.keyCheckValue = info.keyCheckValue;
    return info;
  }

  async loadKey(underTransportKey: Buffer, checkValue: string): Promise<void> {
    if (underTransportKey.length !== 16 || !/^[0-9A-F]{6}$/i.test(checkValue)) throw new RangeError('a PIN key load is 16 bytes and a 6-hex check value');
    const kcv = checkValue.toUpperCase();
    const refused = (reason: string) => new QuancunError('PAD_KEY_REFUSED', `PIN pad refused the key: ${PAD_REFUSALS[reason] ?? reason}`, { device: this.name, reason });
    await this.#exchange(['L', underTransportKey.toString('hex').toUpperCase(), kcv], (m) => {
      if (m.kind === 'refused') return refused(m.reason);
      if (m.kind !== 'ready') return undefined;
      return m.keyCheckValue === kcv ? true : refused(`it reports check value ${m.keyCheckValue ?? 'NOKEY'}`);
    });
    this.keyCheckValue = kcv;
  }

  /**
   * I and L: sent once no ping is in flight, with pings and entries held off until the answer, so the pad's next
   * frame is theirs. `settle` maps a frame to the result, an error to reject with, or undefined to wait on.
   */
  async #exchange<T>(fields: string[], settle: (m: PadMessage) => T | QuancunError | undefined): Promise<T> {
    if (this.#entry || this.#exclusive) throw new QuancunError('TXN_STATE', 'a PIN entry or key load is already running on this pad');
    this.#exclusive = true;
    try {
      await this.#pinging;
      return await new Promise<T>((resolve, reject) => {
        const finish = (settled: () => void) => {
          deadline.clear();
          this.#link.off('down', onDown);
          settled();
        };
        const deadline = answerDeadline(this.#answerTimeoutMs, () => finish(() => reject(new QuancunError('DEVICE_UNAVAILABLE', `PIN pad did not answer ${fields[0]}`, { device: this.name }))));
        const onDown = (err: Error) => finish(() => reject(new QuancunError('DEVICE_UNAVAILABLE', 'PIN pad lost', { device: this.name }, { cause: err })));
        this.#link.on('down', onDown);
        this.#answer = (m) => {
          const outcome = settle(m);
          if (outcome instanceof QuancunError) finish(() => reject(outcome));
          else if (outcome !== undefined) finish(() => resolve(outcome));
        };
        this.#send(fields).catch((err: Error) => finish(() => reject(err)));
      });
    } finally {
      this.#answer = undefined;
      this.#exclusive = false;
      this.#schedulePing();
    }
  }

  /** One handler for every entry frame, set before E goes out: A and the first K can arrive in one chunk. */
  #runEntry(command: string[], signal?: AbortSignal): Promise<Buffer> {
    return new Promise<Buffer>((resolve, reject) => {
      const finish = (settle: () => void) => {
        deadline.clear();
        this.#waiter = undefined;
        signal?.removeEventListener('abort', onAbort);
        this.#link.off('down', onDown);
        settle();
      };
      const unavailable = (message: string, cause?: Error) =>
        new QuancunError('DEVICE_UNAVAILABLE', message, { device: this.name }, { cause });
      const deadline = answerDeadline(this.#answerTimeoutMs, () => finish(() => reject(unavailable('PIN pad did not accept the entry'))));
      const onAbort = () => {
        finish(() => reject(new QuancunError('PIN_ENTRY_CANCELLED')));
        void this.#send(['C']).catch(() => {}); // best effort: a pad that missed it refuses nothing, the next E resets it
      };
      const onDown = (err: Error) => finish(() => reject(unavailable('PIN pad lost during entry', err)));
      this.#waiter = (m) => {
        if (m.kind === 'accepted') deadline.clear();
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
    if (this.#pinging || this.#exclusive || !this.#link.isUp) return Promise.resolve();
    this.#pinging = (async () => {
      try {
        // A late answer to an earlier ping answers the later one just as well: every answer is the same 'ready'.
        this.keyCheckValue = await askUpTo(this.#pingTries, () => new Promise<string | undefined>((resolve, reject) => {
          const deadline = answerDeadline(this.#answerTimeoutMs, () => reject(new Error(`no answer to ${this.#pingTries} pings`)));
          this.#pong = (keyCheckValue) => {
            deadline.clear();
            resolve(keyCheckValue);
          };
          this.#send(['P']).catch((err: Error) => {
            deadline.clear();
            reject(err);
          });
        }));
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
