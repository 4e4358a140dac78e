/**
 * The PC/SC card-reader backend: pcscd through the npm `pcsclite` binding (the only place that imports it). Serves a
 * reader on the board as well as vpcd's virtual readers in tests. pcscd or the reader may vanish and return at any
 * time: that is a 'fault' (READER_UNAVAILABLE) then 'ready', never an exception out of the process.
 */
import { EventEmitter } from 'node:events';
import { createRequire } from 'node:module';
import type pcscType from 'pcsclite';
import { nextPresent, requireStatusWord, type CardChannel, type CardReader, type CardReaderEvents } from './card-reader.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { answerDeadline } from '../../common/answer-deadline.ts';

type PcscLite = ReturnType<typeof pcscType>;
type NativeReader = Parameters<Parameters<PcscLite['on']>[1]>[0] & { readonly name: string };

let pcscModule: typeof pcscType | undefined;

/**
 * pcsclite is an optional dependency (its addon needs libpcsclite-dev to build): it is required on first use, so
 * machines without it still run everything else, and asking for this backend there is one clear error.
 */
function loadPcsc(): typeof pcscType {
  try {
    pcscModule ??= createRequire(import.meta.url)('pcsclite') as typeof pcscType;
    return pcscModule;
  } catch (err) {
    throw new QuancunError(
      'DEVICE_UNAVAILABLE',
      'the pcsclite module is not installed or did not build: apt-get install libpcsclite-dev pcscd, then npm ci',
      { module: 'pcsclite' },
      { cause: err },
    );
  }
}

export interface PcscReaderOptions {
  /** Exact name, a substring of it ("ACR122"), or a pattern; default: the first reader pcscd lists. */
  readerName?: string | RegExp;
  /** 'shared' unless the kiosk must keep other PC/SC clients off the card. */
  shareMode?: 'shared' | 'exclusive';
  /** Receive buffer per APDU; default fits an extended-length response (65536 bytes + SW). */
  maxResponseLength?: number;
  /** How often to look for pcscd again after it went away (ms). */
  retryIntervalMs?: number;
  /**
   * Longest wait for the answer to one command (ms), then CARD_TIMEOUT: pcscd with vpcd waits for ever on a card that
   * stays in the field and never answers. Default 5000, above the longest frame waiting time ISO 14443-4 allows (~4.9 s).
   */
  answerTimeoutMs?: number;
}

/** PC/SC return codes this backend tells apart (pcsclite puts them in the message as `(0x8010....)`). */
const SCARD = {
  E_CANCELLED: 0x80100002,
  E_INVALID_HANDLE: 0x80100003,
  E_UNKNOWN_READER: 0x80100009,
  E_TIMEOUT: 0x8010000a,
  E_NO_SMARTCARD: 0x8010000c,
  F_COMM_ERROR: 0x80100013,
  E_NOT_TRANSACTED: 0x80100016,
  E_READER_UNAVAILABLE: 0x80100017,
  E_NO_SERVICE: 0x8010001d,
  E_SERVICE_STOPPED: 0x8010001e,
  E_NO_READERS_AVAILABLE: 0x8010002e,
  E_COMM_DATA_LOST: 0x8010002f,
  W_UNRESPONSIVE_CARD: 0x80100066,
  W_UNPOWERED_CARD: 0x80100067,
  W_RESET_CARD: 0x80100068,
  W_REMOVED_CARD: 0x80100069,
} as const;

/** Each code as the reader reported it, so a flow (and an operator reading the log) knows what was seen. */
const ERROR_BY_SCARD = new Map<number, ErrorCode>([
  [SCARD.E_NO_SMARTCARD, 'CARD_ABSENT'],
  [SCARD.W_REMOVED_CARD, 'CARD_REMOVED'],
  // The handle belonged to a presence of the card that has ended (removed and put back, or reset by another client).
  [SCARD.E_INVALID_HANDLE, 'CARD_REMOVED'],
  [SCARD.W_RESET_CARD, 'CARD_RESET'],
  [SCARD.W_UNPOWERED_CARD, 'CARD_UNPOWERED'],
  [SCARD.W_UNRESPONSIVE_CARD, 'CARD_UNRESPONSIVE'],
  // Seen on pcscd + vpcd for the command after one the card left during (that one "succeeded" with 0 bytes).
  [SCARD.E_NOT_TRANSACTED, 'CARD_NOT_TRANSACTED'],
  [SCARD.E_TIMEOUT, 'CARD_TIMEOUT'],
  [SCARD.F_COMM_ERROR, 'READER_COMM_ERROR'],
  [SCARD.E_COMM_DATA_LOST, 'READER_COMM_ERROR'],
  [SCARD.E_UNKNOWN_READER, 'READER_UNAVAILABLE'],
  [SCARD.E_READER_UNAVAILABLE, 'READER_UNAVAILABLE'],
  [SCARD.E_NO_SERVICE, 'READER_UNAVAILABLE'],
  [SCARD.E_SERVICE_STOPPED, 'READER_UNAVAILABLE'],
  [SCARD.E_NO_READERS_AVAILABLE, 'READER_UNAVAILABLE'],
]);

function scardCode(err: unknown): number | undefined {
  const match = /\(0x([0-9a-f]{8})\)/i.exec(err instanceof Error ? err.message : String(err));
  return match ? Number.parseInt(match[1]!, 16) : undefined;
}

/** Maps a pcsclite error to the QuancunError a kiosk flow branches on; `fallback` when the code says nothing more. */
export function toQuancunError(err: unknown, fallback: ErrorCode = 'CARD_ERROR'): QuancunError {
  if (err instanceof QuancunError) return err;
  const code = scardCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return new QuancunError(ERROR_BY_SCARD.get(code ?? 0) ?? fallback, message, code === undefined ? {} : { scard: `0x${code.toString(16)}` }, {
    cause: err,
  });
}

export class PcscCardReader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly #options: Required<Omit<PcscReaderOptions, 'readerName'>> & Pick<PcscReaderOptions, 'readerName'>;
  #context: PcscLite | undefined;
  #reader: NativeReader | undefined;
  #atr: Buffer | undefined;
  /** pcscd's count of insertions and removals on the reader at its last status (the state's high 16 bits). */
  #events: number | undefined;
  #channel: PcscChannel | undefined;
  /** The last channel's handle given back: pcscd keeps a handle until its unanswered command ends. */
  #released: Promise<void> = Promise.resolve();
  #ready = false;
  #faulted = false;
  #running = false;
  #retry: NodeJS.Timeout | undefined;
  /** Settles start(): on the first 'ready' or 'fault'. */
  #settled: (() => void) | undefined;

  #pcsc: typeof pcscType;

  constructor(options: PcscReaderOptions = {}) {
    super();
    this.#pcsc = loadPcsc();
    this.#options = {
      readerName: options.readerName,
      shareMode: options.shareMode ?? 'shared',
      maxResponseLength: options.maxResponseLength ?? 65538,
      retryIntervalMs: options.retryIntervalMs ?? 1000,
      answerTimeoutMs: options.answerTimeoutMs ?? 5000,
    };
  }

  /** The bound reader's name, or what is being looked for while none is bound. */
  get name(): string {
    return this.#reader?.name ?? String(this.#options.readerName ?? 'first PC/SC reader');
  }

  get cardPresent(): boolean {
    return this.#atr !== undefined;
  }

  /** True while pcscd answers and the reader is bound. */
  get ready(): boolean {
    return this.#ready;
  }

  /** Resolves once the reader is ready or a fault was emitted; monitoring goes on (and retries) either way. */
  async start(): Promise<void> {
    if (this.#running) return;
    this.#running = true;
    const settled = new Promise<void>((resolve) => (this.#settled = resolve));
    this.#attach();
    await settled;
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    clearTimeout(this.#retry);
    await this.#channel?.close();
    this.#detach();
    this.#ready = false;
    this.#faulted = false;
  }

  async connect(): Promise<CardChannel> {
    const reader = this.#reader;
    if (!reader || !this.#ready) throw new QuancunError('READER_UNAVAILABLE', `card reader ${this.name} is not available`);
    if (!this.#atr) throw new QuancunError('CARD_ABSENT', `no card on ${reader.name}`);
    // pcsclite keeps one card handle per reader: a channel left open by an earlier session is closed first.
    await this.#channel?.close();
    // pcsclite's connect on a handle not yet given back "succeeds" with no protocol: wait for it, bounded, as a command.
    if (!(await settlesWithin(this.#released, this.#options.answerTimeoutMs))) {
      throw new QuancunError('CARD_TIMEOUT', `the card on ${reader.name} has not answered its last command; it must be taken away and presented again`);
    }
    const shareMode = this.#options.shareMode === 'exclusive' ? reader.SCARD_SHARE_EXCLUSIVE : reader.SCARD_SHARE_SHARED;
    const protocol = await new Promise<number>((resolve, reject) =>
      reader.connect({ share_mode: shareMode, protocol: reader.SCARD_PROTOCOL_T0 | reader.SCARD_PROTOCOL_T1 }, (err, p) =>
        err ? reject(toQuancunError(err)) : resolve(p),
      ),
    );
    const channel = new PcscChannel(reader, protocol, this.#atr, this.#options, (released) => {
      this.#released = released;
      if (this.#channel === channel) this.#channel = undefined;
    });
    this.#channel = channel;
    return channel;
  }

  waitForCard(signal?: AbortSignal): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.#atr) return Promise.resolve(this.#atr);
    return nextPresent(this, signal);
  }

  /** Opens a PC/SC context; without pcscd that throws, which is a fault and a later retry. */
  #attach(): void {
    let context: PcscLite;
    try {
      context = this.#pcsc();
    } catch (err) {
      this.#fault(toQuancunError(err, 'READER_UNAVAILABLE'));
      return;
    }
    this.#context = context;
    // pcsclite announces readers one by one but not an empty or shrunk list: hook the native listing callback
    // (called by the library on the next tick) to learn when no matching reader is left.
    const nativeStart = (context as unknown as { start(cb: (err: unknown, names: Buffer) => void): void }).start;
    Object.assign(context, {
      start: (cb: (err: unknown, names: Buffer) => void) =>
        nativeStart.call(context, (err: unknown, names: Buffer) => {
          cb(err, names);
          if (!err && this.#context === context && !this.#reader) {
            this.#fault(new QuancunError('READER_UNAVAILABLE', `no PC/SC reader matching ${this.name}`));
          }
        }),
    });
    context.on('reader', (reader) => this.#onReader(context, reader as NativeReader));
    context.on('error', (err) => {
      // pcscd went away (close() also reports its own cancellation 0x80100002, expected and ignored).
      if (this.#context !== context || scardCode(err) === SCARD.E_CANCELLED) return;
      this.#detach();
      this.#fault(toQuancunError(err, 'READER_UNAVAILABLE'));
    });
  }

  #onReader(context: PcscLite, reader: NativeReader): void {
    // Every native reader reports its errors as 'error' events: unheard they would crash the process.
    reader.on('error', () => {});
    // A listing that was already on its way when this context was dropped: its readers' status threads would keep
    // the process alive with nobody to close them.
    if (this.#context !== context) {
      reader.close();
      return;
    }
    if (this.#reader || !this.#matches(reader.name)) return;
    this.#reader = reader;
    reader.on('status', ({ state, atr }) => {
      if (this.#reader !== reader) return;
      const present = (state & reader.SCARD_STATE_PRESENT) !== 0 && (state & reader.SCARD_STATE_MUTE) === 0;
      if (!this.#ready) {
        this.#ready = true;
        this.#faulted = false;
        this.emit('ready');
        this.#settle();
      }
      this.#setCard(present ? (atr ?? Buffer.alloc(0)) : undefined, state >>> 16);
    });
    reader.once('end', () => {
      if (this.#reader !== reader) return;
      this.#reader = undefined;
      this.#setCard(undefined);
      this.#fault(new QuancunError('READER_UNAVAILABLE', `card reader ${reader.name} went away`));
    });
  }

  #matches(name: string): boolean {
    const wanted = this.#options.readerName;
    if (wanted === undefined) return true;
    return typeof wanted === 'string' ? name.includes(wanted) : wanted.test(name);
  }

  /**
   * pcsclite hands JS only the latest status when several came while the event loop was busy (its status thread
   * overwrites one result and uv_async_send coalesces): a card taken out and put back meanwhile shows as the same
   * ATR. pcscd's event count tells: moved, the card left and is a new presence (its handle is gone).
   */
  #setCard(atr: Buffer | undefined, events?: number): void {
    const before = this.#atr;
    const unseen = events !== undefined && this.#events !== undefined && events !== this.#events;
    this.#events = events;
    if (before && atr && before.equals(atr) && !unseen) return;
    this.#atr = atr;
    if (before) {
      this.#channel?.lost();
      this.emit('absent');
    }
    if (atr) this.emit('present', atr);
  }

  /** Drops the context and every reader of it (pcscd gone, or stop()). */
  #detach(): void {
    const context = this.#context;
    this.#context = undefined;
    this.#reader = undefined;
    this.#channel = undefined;
    this.#setCard(undefined);
    if (!context) return;
    for (const reader of Object.values((context as unknown as { readers: Record<string, NativeReader> }).readers)) reader.close();
    context.close();
  }

  #fault(error: QuancunError): void {
    this.#ready = false;
    if (!this.#faulted) {
      this.#faulted = true;
      this.emit('fault', error);
    }
    this.#settle();
    if (!this.#context && this.#running) {
      clearTimeout(this.#retry);
      this.#retry = setTimeout(() => this.#running && this.#attach(), this.#options.retryIntervalMs);
    }
  }

  #settle(): void {
    this.#settled?.();
    this.#settled = undefined;
  }
}

/** GET RESPONSE rounds allowed for one command: a bound on a card that keeps answering 61xx. */
const MAX_GET_RESPONSE = 256;

class PcscChannel implements CardChannel {
  readonly atr: Buffer;
  #open = true;
  /** Set once the card this channel was opened on left the field: from then on every command is CARD_REMOVED. */
  #lost = false;
  /** A command pcscd has not answered yet, past its timeout: the handle is busy until it does. */
  #unanswered: Promise<void> | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly reader: NativeReader,
    private readonly protocol: number,
    atr: Buffer,
    private readonly limits: { maxResponseLength: number; answerTimeoutMs: number },
    private readonly onClose: (released: Promise<void>) => void,
  ) {
    this.atr = atr;
  }

  /** One command, answered in full: 61xx is followed by GET RESPONSE and 6Cxx re-sent with the right Le (T=0). */
  transmit(apdu: Buffer): Promise<Buffer> {
    // pcsclite has one handle per reader: commands go out one after another.
    const result = this.#queue.then(() => this.#exchange(apdu));
    this.#queue = result.catch(() => {});
    return result;
  }

  async #exchange(apdu: Buffer): Promise<Buffer> {
    let response = await this.#send(apdu);
    if (sw1(response) === 0x6c) response = await this.#send(withLe(apdu, response[response.length - 1]!));
    const parts: Buffer[] = [];
    for (let round = 0; sw1(response) === 0x61; round++) {
      if (round === MAX_GET_RESPONSE) throw new QuancunError('CARD_ERROR', 'card keeps answering 61xx');
      parts.push(response.subarray(0, -2));
      response = await this.#send(Buffer.from([apdu[0]! & 0x03, 0xc0, 0x00, 0x00, response[response.length - 1]!]));
    }
    return parts.length ? Buffer.concat([...parts, response]) : response;
  }

  #send(apdu: Buffer): Promise<Buffer> {
    if (this.#lost) return Promise.reject(new QuancunError('CARD_REMOVED', 'the card of this channel left the field'));
    if (this.#unanswered) return Promise.reject(new QuancunError('CARD_TIMEOUT', 'an earlier command to this card is still unanswered'));
    if (!this.#open) return Promise.reject(new QuancunError('CARD_ERROR', 'channel closed'));
    return new Promise((resolve, reject) => {
      let settle!: () => void;
      const deadline = answerDeadline(this.limits.answerTimeoutMs, () => {
        this.#unanswered = new Promise((done) => (settle = done));
        reject(new QuancunError('CARD_TIMEOUT', `no answer to INS ${apdu[1]!.toString(16).toUpperCase()} in ${this.limits.answerTimeoutMs} ms`, { ins: apdu[1] }));
      });
      this.reader.transmit(apdu, this.limits.maxResponseLength, this.protocol, (err, data) => {
        deadline.clear();
        if (this.#unanswered) {
          this.#unanswered = undefined;
          settle();
          return;
        }
        if (err) return reject(toQuancunError(err, 'READER_COMM_ERROR'));
        try {
          resolve(requireStatusWord(data, apdu));
        } catch (e) {
          reject(e as QuancunError);
        }
      });
    });
  }

  lost(): void {
    this.#lost = true;
  }

  /** Leaves the card powered: the next session selects the application again anyway, and a shared card is not reset. */
  async close(): Promise<void> {
    if (!this.#open) return;
    this.#open = false;
    await this.#queue;
    const disconnect = () => new Promise<void>((resolve) => this.reader.disconnect(this.reader.SCARD_LEAVE_CARD, () => resolve()));
    // pcscd holds the handle until the unanswered command ends (the card answers or leaves): disconnect after it,
    // without making the kiosk wait for a card that may never answer.
    const released = this.#unanswered ? this.#unanswered.then(disconnect) : disconnect();
    this.onClose(released);
    if (!this.#unanswered) await released;
  }
}

async function settlesWithin(p: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => (timer = setTimeout(resolve, ms, false)));
  try {
    return await Promise.race([p.then(() => true), late]);
  } finally {
    clearTimeout(timer);
  }
}

function sw1(response: Buffer): number {
  return response[response.length - 2]!;
}

/** The same short command with Le set to what the card asked for in 6Cxx. */
function withLe(apdu: Buffer, le: number): Buffer {
  const lc = apdu.length > 5 ? apdu[4]! : 0;
  const hasLe = apdu.length === 5 || apdu.length === 6 + lc;
  return Buffer.concat([hasLe ? apdu.subarray(0, -1) : apdu, Buffer.from([le])]);
}
