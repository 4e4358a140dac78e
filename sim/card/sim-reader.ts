/**
 * The in-process card reader: APDUs go straight to a CardDevice (a VirtualCard) through an async boundary, so callers
 * see I/O-like timing. Its device-side handle (insert, remove, tear, unplug, replug) is what tests, the embedded
 * default and the fault-injection harness use to act out a cardholder and a failing reader.
 */
import { EventEmitter } from 'node:events';
import { nextPresent, requireStatusWord, type CardChannel, type CardReader, type CardReaderEvents } from '../../hal/card-reader/card-reader.ts';
import type { CardDevice } from './card-device.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';

/**
 * How an exchange breaks off, as the reader reports it:
 * - `leave` (the default): the card leaves the field mid-command. As pcscd does with vpcd (a FIN or an RST alike),
 *   the transmit answers 0 bytes (CARD_NO_ANSWER) and the card is gone after it;
 * - `{ answer }`: the card stays and answers these bytes (hex) instead: 1 byte, or garbage;
 * - `{ error }`: the reader rejects the transmit with this code (CARD_REMOVED as pcsclite reports 0x80100069,
 *   CARD_NOT_TRANSACTED, CARD_RESET, CARD_TIMEOUT, READER_COMM_ERROR, …); READER_UNAVAILABLE also unplugs the reader.
 */
export type TearHow = 'leave' | { answer: string } | { error: ErrorCode };

export interface TearSpec {
  /** INS of the APDU during which the exchange breaks off. */
  ins: number;
  /** before: the card never sees the APDU; after: the card applies it but the response is lost. */
  when: 'before' | 'after';
  how?: TearHow;
}

export class SimCardReader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name: string;
  #device: CardDevice | null = null;
  /** Bumped on every insert and removal: a channel belongs to one presence of one card. */
  #presence = 0;
  #plugged = true;
  #tear: { spec: TearSpec; fired(): void } | null = null;

  constructor(options: { name?: string } = {}) {
    super();
    this.name = options.name ?? 'Simulated reader';
  }

  get cardPresent(): boolean {
    return this.#plugged && this.#device !== null;
  }

  /** Like the PC/SC reader, an absent reader is a fault as the kiosk starts, not a silence. */
  async start(): Promise<void> {
    if (!this.#plugged) this.emit('fault', new QuancunError('READER_UNAVAILABLE', `${this.name} is unplugged`));
  }

  async stop(): Promise<void> {}

  /** A card enters the field (a card already there leaves first); powers it up and emits 'present'. */
  insert(device: CardDevice): void {
    if (this.#device) this.remove();
    this.#device = device;
    this.#presence += 1;
    device.reset();
    if (this.#plugged) this.emit('present', device.atr);
  }

  /** The card leaves the field: transmits on its channels after this reject with CARD_REMOVED. */
  remove(): void {
    if (!this.#device) return;
    this.#device = null;
    this.#presence += 1;
    if (this.#plugged) this.emit('absent');
  }

  /**
   * One-shot, stays armed until it fires: the exchange of the next APDU with this INS breaks off as `how` says,
   * before or after the card acts on it. Resolves when it fired (never, if no such APDU comes).
   */
  tear(spec: TearSpec): Promise<void> {
    return new Promise((fired) => {
      this.#tear = { spec, fired };
    });
  }

  /** The reader goes away (USB pulled): 'fault' with READER_UNAVAILABLE; channels and connect() fail until replug(). */
  unplug(): void {
    if (!this.#plugged) return;
    this.#plugged = false;
    this.#presence += 1;
    this.emit('fault', new QuancunError('READER_UNAVAILABLE', `${this.name} is unplugged`));
  }

  /** The reader is back: 'ready', then 'present' when a card is still in the field (powered up afresh). */
  replug(): void {
    if (this.#plugged) return;
    this.#plugged = true;
    this.emit('ready');
    if (this.#device) {
      this.#device.reset();
      this.emit('present', this.#device.atr);
    }
  }

  async connect(): Promise<CardChannel> {
    await ioBoundary();
    this.#checkPlugged();
    const device = this.#device;
    if (!device) throw new QuancunError('CARD_ABSENT', `no card on ${this.name}`);
    return this.#channel(device, this.#presence);
  }

  waitForCard(signal?: AbortSignal): Promise<Buffer> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.cardPresent) return Promise.resolve(this.#device!.atr);
    return nextPresent(this, signal);
  }

  /** The answer a broken-off exchange gives the channel, or the reader's error; the field changes as it would. */
  #breakOff(how: TearHow): Buffer {
    if (how === 'leave') {
      this.remove();
      return Buffer.alloc(0);
    }
    if ('answer' in how) return Buffer.from(how.answer, 'hex');
    if (how.error === 'READER_UNAVAILABLE') this.unplug();
    if (how.error === 'CARD_REMOVED') this.remove();
    throw new QuancunError(how.error, `the reader reported ${how.error} during the command`);
  }

  #checkPlugged(): void {
    if (!this.#plugged) throw new QuancunError('READER_UNAVAILABLE', `${this.name} is unplugged`);
  }

  #channel(device: CardDevice, presence: number): CardChannel {
    let open = true;
    const transmit = async (apdu: Buffer): Promise<Buffer> => {
      await ioBoundary();
      if (!open) throw new QuancunError('CARD_ERROR', 'the card channel is closed');
      this.#checkPlugged();
      if (presence !== this.#presence) throw new QuancunError('CARD_REMOVED', 'the card left the field');
      const armed = this.#tear?.spec.ins === apdu[1] ? this.#tear : null;
      if (armed) this.#tear = null;
      if (armed?.spec.when !== 'before') {
        const answer = device.transmit(Buffer.from(apdu));
        if (!armed) return answer;
      }
      armed.fired();
      return requireStatusWord(this.#breakOff(armed.spec.how ?? 'leave'), apdu);
    };
    return {
      atr: device.atr,
      transmit,
      close: async () => {
        open = false;
      },
    };
  }
}

const ioBoundary = () => new Promise<void>((resolve) => setImmediate(resolve));
