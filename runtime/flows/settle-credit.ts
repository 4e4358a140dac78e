/**
 * Finishing a credit whose outcome the kiosk does not know (a torn write, or a pending load 圈存未领 at the card's next
 * tap), with the card itself as the witness. A fresh INITIALIZE FOR LOAD shows the card's online counter: one more
 * than the counter the credit was issued for means it was applied, and GET TRANSACTION PROVE gives its TAC; the same
 * counter means it was not, and the gateway issues a fresh MAC2 for the same debit (`load.recredit`, no second bank
 * debit), bound to the card's new random, so no earlier MAC2 can ever apply after it.
 */
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { CardChannel } from '../../hal/card-reader/card-reader.ts';
import { creditForLoad, getTransactionProve, initializeForLoad, type LoadInit } from '../card/purse.ts';
import type { KioskLink } from '../link/kiosk-link.ts';

export const LOAD_KEY_INDEX = 1;
const LOAD_TYPE = 0x02;

/** The credit in question, as the gateway issued it last. */
export interface OwedCredit {
  /** The gateway's transaction id. */
  txnId: string;
  amount: number;
  /** The card's online counter before that credit; absent when no MAC2 was ever issued for it (a fresh subsidy). */
  onlineCounter?: number | undefined;
  /** The balance that credit started from: plus the amount, the balance its TAC covers; absent with the counter. */
  cardBefore?: number | undefined;
}

export type CardVerdict = { applied: true; tac: Buffer } | { applied: false; init: LoadInit };

/** Reads the card's counter; moves no money (an INITIALIZE without its CREDIT changes nothing on the card). */
export async function inspectCredit(ch: CardChannel, owed: OwedCredit, terminalId: string): Promise<CardVerdict> {
  const initialize = () => initializeForLoad(ch, { keyIndex: LOAD_KEY_INDEX, amount: owed.amount, terminalId: Buffer.from(terminalId, 'hex') });
  // No MAC2 was ever issued for it: it cannot be on the card, and the counter read now is the one it is issued for.
  if (owed.onlineCounter === undefined) return { applied: false, init: await initialize() };
  let init: LoadInit | null = null;
  try {
    init = await initialize();
  } catch (err) {
    // Over the purse limit: most likely because the credit is already on the card. The proof decides.
    if (QuancunError.from(err).code !== 'AMOUNT_OVER_PURSE_LIMIT') throw err;
  }
  if (init?.onlineCounter === owed.onlineCounter) return { applied: false, init };
  if (init && init.onlineCounter !== owed.onlineCounter + 1) {
    throw new QuancunError('TXN_STATE', 'the card counter is neither before nor just after the credit', {
      txnId: owed.txnId, expected: owed.onlineCounter, card: init.onlineCounter,
    });
  }
  const proof = await getTransactionProve(ch, { type: LOAD_TYPE, counter: owed.onlineCounter + 1 });
  if (!proof) {
    if (init) throw new QuancunError('CARD_ERROR', 'the card counter moved but the card holds no proof of the load', { txnId: owed.txnId });
    throw new QuancunError('AMOUNT_OVER_PURSE_LIMIT', 'the credit is not on the card and would exceed the purse limit');
  }
  return { applied: true, tac: proof.tac };
}

export interface Settled {
  tac: string;
  /** The balance right after the credit: what the TAC covers. */
  cardAfter: number;
  /** proof: the earlier credit had applied; recredit: written now with a fresh MAC2. */
  via: 'proof' | 'recredit';
}

export interface CreditStamp {
  cardBefore: number;
  /** The card's counter the fresh MAC2 was issued for: the one its TAC and the next tap's decision use. */
  onlineCounter: number;
  mac2: string;
  hostDate: string;
  hostTime: string;
}

/**
 * Brings the owed credit onto the card exactly once. `beforeCredit` journals the fresh MAC2 (write-ahead) before
 * CREDIT FOR LOAD is sent; a credit then refused or undecided (card-write.ts) throws, and stays owed.
 */
export async function settleOnCard(
  ch: CardChannel, link: KioskLink, terminalId: string, owed: OwedCredit, beforeCredit: (stamp: CreditStamp) => Promise<void>,
): Promise<Settled> {
  const hexOf = (b: Buffer) => b.toString('hex').toUpperCase();
  const verdict = await inspectCredit(ch, owed, terminalId);
  // A proof is only looked for when a counter was journaled, and the balance with it.
  if (verdict.applied) return { tac: hexOf(verdict.tac), cardAfter: owed.cardBefore! + owed.amount, via: 'proof' };
  const { init } = verdict;
  const fresh = await link.request('load.recredit', {
    txnId: owed.txnId, terminalId,
    card: {
      oldBalance: init.oldBalance, onlineCounter: init.onlineCounter, keyVersion: init.keyVersion, algId: init.algId,
      random: hexOf(init.random), mac1: hexOf(init.mac1),
    },
  });
  await beforeCredit({ cardBefore: init.oldBalance, onlineCounter: init.onlineCounter, ...fresh });
  const written = await creditForLoad(ch, { date: Buffer.from(fresh.hostDate, 'hex'), time: Buffer.from(fresh.hostTime, 'hex'), mac2: Buffer.from(fresh.mac2, 'hex') });
  // Refused or undecided, the credit is still owed and the card's counter decides at the next reading.
  if (written.decision !== 'applied') throw written.error;
  return { tac: hexOf(written.value), cardAfter: init.oldBalance + owed.amount, via: 'recredit' };
}

/** The final posting for a credit on the card. False when the gateway found the TAC bad (held for an operator). */
export async function confirmCredit(link: KioskLink, c: { txnId: string; tac: string; newBalance: number; onlineCounter: number }): Promise<boolean> {
  try {
    await link.request('load.confirm', c);
    return true;
  } catch (err) {
    if (QuancunError.from(err).code !== 'CARD_TAC_INVALID') throw err;
    return false;
  }
}

/** The part of a load's or a collect's outcome that says what the card holds, once its record reached `credited`. */
export function creditedOutcome(rec: { tac?: string; cardAfter?: number; tacVerified?: boolean; code?: ErrorCode }) {
  // tac and cardAfter are journaled at `credited`, tacVerified at `completed`.
  return { cardAfter: rec.cardAfter!, tac: rec.tac!, tacVerified: rec.tacVerified ?? false, ...(rec.code ? { code: rec.code } : {}) };
}
