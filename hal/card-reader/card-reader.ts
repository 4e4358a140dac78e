/**
 * The card-reader device kind. Backends: `pcsc-reader.ts` (pcsclite + pcscd, the board and vpcd) and
 * `sim-reader.ts` (in-process, for the embedded default). The kiosk sees only this interface.
 */
import { once, type EventEmitter } from 'node:events';

/** An open channel to the card in the field. transmit() rejects with QuancunError CARD_REMOVED when the card left. */
export interface CardChannel {
  readonly atr: Buffer;
  transmit(apdu: Buffer): Promise<Buffer>;
  close(): Promise<void>;
}

export interface CardReaderEvents {
  /** A card entered the field. */
  present: [atr: Buffer];
  /** The card left the field. */
  absent: [];
  /** The reader itself failed or went away (READER_UNAVAILABLE); it may come back with 'ready'. */
  fault: [error: Error];
  ready: [];
}

export interface CardReader extends EventEmitter<CardReaderEvents> {
  readonly name: string;
  readonly cardPresent: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Open a channel to the present card; rejects with CARD_ABSENT when there is none. */
  connect(): Promise<CardChannel>;
  /** Resolves with the ATR of the next card presented (or the one present now); rejects on abort. */
  waitForCard(signal?: AbortSignal): Promise<Buffer>;
}

/** The ATR of the next 'present' event; rejects with the signal's reason when it is aborted first. */
export function nextPresent(reader: CardReader, signal?: AbortSignal): Promise<Buffer> {
  return once(reader as EventEmitter, 'present', signal ? { signal } : {}).then(
    ([atr]) => atr as Buffer,
    (err: unknown) => Promise.reject(signal?.aborted ? signal.reason : err),
  );
}
