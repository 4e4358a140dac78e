/**
 * The in-process card reader: APDUs go straight to a CardDevice (a VirtualCard) through an async boundary, so callers
 * see I/O-like timing. Its device-side handle (insert, remove, tear, unplug, replug) is what tests, the embedded
 * default and the fault-injection harness use to act out a cardholder and a failing reader.
 */
import { EventEmitter } from 'node:events';
import { nextPresent, type CardChannel, type CardReader, type CardReaderEvents } from './card-reader.ts';
import type { CardDevice } from '../../sim/card/card-device.ts';
import { QuancunError } from '../../common/errors.ts';

export interface TearSpec {
  /** INS of the APDU during which the card leaves the field. */
  ins: number;
  /** before: the card never sees the APDU; after: the card applies it but the response is lost. */
  when: 'before' | 'after';
}

export class SimCardReader extends EventEmitter<CardReaderEvents> implements CardReader {
  readonly name: string;
  #device: CardDevice | null = null;
  /** Bumped on every insert and removal: a channel belongs to one presence of one card. */
  #presence = 0;
  #plugged = true;
  #tear: TearSpec | null = null;

  constructor(options: { name?: string } = {}) {
    super();
    this.name = options.name ?? 'Simulated reader';
  }

  get cardPresent(): boolean {
    return this.#plugged && this.#device !== null;
  }

  async start(): Promise<void> {}

  async stop(): Promise<void> {}

  /** A card enters the field (a card already there leaves first); powers it up and emits 'present'. */
  insert(device: CardDevice): void {
    if (this.#device) this.remove();
    this.#device = device;
    this.#presence += 1;
    device.reset();
    if (this.#plugged) this.emit('present', device.atr);
  }

  /** The card leaves the field: pending and later transmits on its channels reject with CARD_REMOVED. */
  remove(): void {
    if (!this.#device) return;
    this.#device = null;
    this.#presence += 1;
    if (this.#plugged) this.emit('absent');
  }

  /**
   * One-shot, stays armed until it fires: the card leaves the field when the next APDU with this INS arrives, before
   * or after the card acts on it; that transmit rejects with CARD_REMOVED.
   */
  tear(spec: TearSpec): void {
    this.#tear = spec;
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
      const tear = this.#tear?.ins === apdu[1] ? this.#tear : null;
      if (tear?.when === 'after') device.transmit(Buffer.from(apdu));
      if (tear) {
        this.#tear = null;
        this.remove();
        throw new QuancunError('CARD_REMOVED', `the card left the field ${tear.when} the card processed INS ${apdu[1]!.toString(16)}`);
      }
      return device.transmit(Buffer.from(apdu));
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
