/**
 * The one decision table for a card write whose outcome moves money: CREDIT FOR LOAD (a load, a torn load's fresh
 * credit, a collect) and DEBIT FOR PURCHASE. Once the command was handed to the reader, the write is
 * - applied only on 9000 with its whole answer (the TAC, and for a purchase its MAC2);
 * - not applied only on a status word in REFUSALS below: one the card standard defines as a refusal before any change;
 * - undecided on everything else: no answer, an empty or short answer, any reader or transport error, a status word
 *   not listed, 9000 with a short answer, a reader that vanished, a timeout.
 * Undecided is never a refusal: the money stays owed to the card (the torn path, then a pending load) until the card
 * itself, read again, shows its counter. A kiosk restarted with a write journaled as sent is undecided the same way.
 */
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { CardChannel } from '../../hal/card-reader/card-reader.ts';

export type CardWriteKind = 'credit-for-load' | 'debit-for-purchase';

interface Refusal {
  sw: number;
  code: ErrorCode;
  meaning: string;
  /** Where the standard says the card refuses this way before it changes anything. */
  source: string;
}

const ISO_CHECKING = 'ISO/IEC 7816-4 §5.1.3: 67xx–6Fxx are checking errors, the command was not processed';
const ISO_EXECUTION_UNCHANGED = 'ISO/IEC 7816-4 §5.1.3: 64xx is an execution error with non-volatile memory unchanged';
/** Refusals any write command gets for a malformed or out-of-session command, checked before it executes. */
const CHECKING_REFUSALS: readonly Refusal[] = [
  { sw: 0x6400, code: 'CARD_ERROR', meaning: 'execution error, memory unchanged', source: ISO_EXECUTION_UNCHANGED },
  { sw: 0x6700, code: 'CARD_ERROR', meaning: 'wrong length', source: ISO_CHECKING },
  { sw: 0x6985, code: 'CARD_ERROR', meaning: 'conditions of use not satisfied (no INITIALIZE pending in this session)', source: ISO_CHECKING },
  { sw: 0x6a86, code: 'CARD_ERROR', meaning: 'incorrect P1-P2', source: ISO_CHECKING },
  { sw: 0x6d00, code: 'CARD_ERROR', meaning: 'instruction not supported', source: ISO_CHECKING },
  { sw: 0x6e00, code: 'CARD_ERROR', meaning: 'class not supported', source: ISO_CHECKING },
];

/** Every status word taken as "refused, nothing changed", per write; all others not 9000 are undecided. */
export const REFUSALS: Record<CardWriteKind, readonly Refusal[]> = {
  'credit-for-load': [
    {
      sw: 0x9302, code: 'CARD_MAC_INVALID', meaning: 'MAC2 wrong',
      source: 'pboc-purse.md Cryptography: the card verifies the host MAC2 before it credits (JR/T 0025: 9302 MAC invalid)',
    },
    ...CHECKING_REFUSALS,
  ],
  'debit-for-purchase': [
    {
      sw: 0x9302, code: 'CARD_MAC_INVALID', meaning: 'MAC1 wrong',
      source: 'pboc-purse.md Purchase: the card verifies the host MAC1 before it debits (JR/T 0025: 9302 MAC invalid)',
    },
    ...CHECKING_REFUSALS,
  ],
};

export type CardWriteResult<T = Buffer> =
  | { decision: 'applied'; value: T }
  | { decision: 'not-applied'; error: QuancunError }
  | { decision: 'undecided'; error: QuancunError };

type Undecided = Extract<CardWriteResult, { decision: 'undecided' }>;

const hex4 = (sw: number) => sw.toString(16).toUpperCase().padStart(4, '0');

/** The decision for an answer that came back (data || SW1 SW2, any length) to a write expecting `dataLength` bytes. */
export function decideAnswer(kind: CardWriteKind, answer: Buffer, dataLength: number): CardWriteResult {
  if (answer.length < 2) {
    return { decision: 'undecided', error: new QuancunError('CARD_NO_ANSWER', `${kind}: ${answer.length}-byte answer, no status word`, { write: kind }) };
  }
  const sw = answer.readUInt16BE(answer.length - 2);
  const data = answer.subarray(0, -2);
  const details = { write: kind, sw: hex4(sw) };
  if (sw === 0x9000) {
    if (data.length === dataLength) return { decision: 'applied', value: Buffer.from(data) };
    // The card says done but its proof is cut short: applied or not, only its counter can say now.
    return { decision: 'undecided', error: new QuancunError('CARD_NO_ANSWER', `${kind}: 9000 with ${data.length} of ${dataLength} bytes`, details) };
  }
  const refusal = REFUSALS[kind].find((r) => r.sw === sw);
  if (refusal) return { decision: 'not-applied', error: new QuancunError(refusal.code, `${kind} refused: ${hex4(sw)} ${refusal.meaning}`, details) };
  return { decision: 'undecided', error: new QuancunError('CARD_ERROR', `${kind}: status word ${hex4(sw)} does not say whether it applied`, details) };
}

/**
 * Hands the write to the reader and decides what came back; `read` turns an applied answer's data into its value.
 * Never throws: a transmit that rejected, whatever the reader said, leaves the write undecided.
 */
export async function writeToCard<T>(
  ch: CardChannel, kind: CardWriteKind, apdu: Buffer, dataLength: number, read: (data: Buffer) => T,
): Promise<CardWriteResult<T>> {
  let answer: Buffer;
  try {
    answer = await ch.transmit(apdu);
  } catch (err) {
    return { decision: 'undecided', error: QuancunError.from(err) };
  }
  const result = decideAnswer(kind, answer, dataLength);
  return result.decision === 'applied' ? { decision: 'applied', value: read(result.value) } : result;
}

/** A record left in a state where the write had been sent (a crash, a restart): undecided, by the same rule. */
export function decideInterrupted(kind: CardWriteKind, code: ErrorCode = 'INTERNAL'): Undecided {
  return { decision: 'undecided', error: new QuancunError(code, `${kind} was sent before the kiosk stopped: its outcome is on the card`, { write: kind }) };
}
