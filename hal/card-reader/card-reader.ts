/**
 * The card-reader device kind. Backends: `pcsc-reader.ts` (pcsclite + pcscd, the board and vpcd) and
 * `sim/card/sim-reader.ts` (in-process, for the embedded default). The kiosk sees only this interface.
 */
import { once, type EventEmitter } from 'node:events';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';

/**
 * An open channel to the card in the field. transmit() resolves with the card's whole answer (data || SW1 SW2, at
 * least the two status bytes) or rejects with one of EXCHANGE_FAILURES, saying what the reader saw.
 */
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

/**
 * Codes with which a transmit rejects when the exchange itself broke off, as a reader reports it: the card left the
 * field (CARD_REMOVED), answered nothing or less than a status word (CARD_NO_ANSWER: pcscd answers a command cut off
 * by the card leaving with 0 bytes and success), the next command after such a break (CARD_NOT_TRANSACTED), the card
 * reset, lost power or stopped responding, no answer in time, a garbled exchange, the reader gone. After any of them
 * the card may or may not have acted on the command: only the card, read again, can tell.
 */
export const EXCHANGE_FAILURES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'CARD_REMOVED', 'CARD_ABSENT', 'CARD_NO_ANSWER', 'CARD_NOT_TRANSACTED', 'CARD_RESET', 'CARD_UNPOWERED', 'CARD_UNRESPONSIVE',
  'CARD_TIMEOUT', 'READER_COMM_ERROR', 'READER_UNAVAILABLE',
]);

/** An answer of fewer than two bytes carries no status word: "no answer", whatever its bytes (a lone byte is not a status). */
export function requireStatusWord(answer: Buffer, apdu: Buffer): Buffer {
  if (answer.length >= 2) return answer;
  throw new QuancunError('CARD_NO_ANSWER', `the card's answer to INS ${(apdu[1] ?? 0).toString(16).toUpperCase()} is ${answer.length} bytes: no status word`, {
    ins: apdu[1], bytes: answer.length,
  });
}
