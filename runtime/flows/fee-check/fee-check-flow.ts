/**
 * Decides at a tap the card's fees in doubt (`card.lookup` `feesInDoubt`, docs/fees.md): a fresh INITIALIZE FOR
 * PURCHASE reads the offline counter. The counter the purchase began from: it did not apply, and after this INITIALIZE
 * (a new random) its MAC1 never can; `fee.abandon` ends it with nothing moved. One more: it applied, GET TRANSACTION
 * PROVE gives its MAC2 and TAC, and `fee.confirm` pays the biller or owes the amount back. Anything else (the card
 * left, later purchases moved the counter on) decides nothing here: the gateway keeps the fee in doubt.
 */
import { QuancunError } from '../../../common/errors.ts';
import type { Logger } from '../../../common/log.ts';
import type { KioskJournal } from '../../journal/kiosk-journal.ts';
import type { KioskLink } from '../../link/kiosk-link.ts';
import type { CardSession } from '../card-session.ts';
import type { RecoveryContext } from '../flow.ts';
import { confirmedEnd } from '../fee/fee-flow.ts';
import { inspectDebit } from '../fee/torn-fee.ts';
import type { FeeCheckRecord } from './fee-check-machine.ts';

export interface FeeCheckContext {
  journal: KioskJournal;
  link: KioskLink;
  terminalId: string;
  log: Logger;
}

export type FeeInDoubt = NonNullable<CardSession['account']['feesInDoubt']>[number];

/** What a check ended as: its record's state and what the screens need of it. */
export interface FeeCheckOutcome {
  txnId: string;
  feeId: string;
  state: FeeCheckRecord['state'];
  amount: number;
  refundId?: string;
  receiptNo?: string;
  code?: FeeCheckRecord['code'];
}

/** Decides each fee in doubt the gateway listed for the card on the reader, in order. */
export async function runFeeChecks(ctx: FeeCheckContext, session: CardSession): Promise<FeeCheckOutcome[]> {
  const outcomes: FeeCheckOutcome[] = [];
  for (const fee of session.account.feesInDoubt ?? []) outcomes.push(outcomeOf(await checkOne(ctx, session, fee)));
  return outcomes;
}

async function checkOne(ctx: FeeCheckContext, session: CardSession, fee: FeeInDoubt): Promise<FeeCheckRecord> {
  const { journal } = ctx;
  const { id, reserve } = journal.nextTxnId();
  const log = ctx.log.child({ txnId: id, feeId: fee.txnId });
  let rec = await journal.feeChecks.create({
    id, state: 'checking', kind: 'fee-check', feeId: fee.txnId, billerId: fee.billerId, amount: fee.amount, terminalId: ctx.terminalId,
    asn: session.asn, offlineCounter: fee.offlineCounter,
  }, [reserve]);
  let verdict;
  try {
    verdict = await inspectDebit(session.channel, { id: fee.txnId, amount: fee.amount, offlineCounter: fee.offlineCounter }, ctx.terminalId);
  } catch (err) {
    const { code } = QuancunError.from(err);
    log.warn('fee in doubt not decided at this tap', { code });
    return journal.feeChecks.advance(rec, 'not-decided', { code });
  }
  log.info(verdict.applied ? 'fee in doubt applied on the card' : 'fee in doubt did not apply on the card');
  rec = await (verdict.applied
    ? journal.feeChecks.advance(rec, 'confirming', { tac: verdict.tac, mac2: verdict.mac2 })
    : journal.feeChecks.advance(rec, 'abandoning'));
  return settleFeeCheck(ctx, rec).catch((err: unknown) => {
    log.warn('decision not answered yet: recovery sends it again', { code: QuancunError.from(err).code });
    return rec;
  });
}

/**
 * Sends the decision journaled (`confirming` or `abandoning`) to the gateway, which answers the same however often it
 * comes. A refusal is held for an operator; a link that does not answer throws, the record left for recovery.
 */
export async function settleFeeCheck(ctx: RecoveryContext, rec: FeeCheckRecord): Promise<FeeCheckRecord> {
  const { journal, link } = ctx;
  try {
    if (rec.state === 'abandoning') {
      await link.request('fee.abandon', { txnId: rec.feeId, offlineCounter: rec.offlineCounter });
      return await journal.feeChecks.advance(rec, 'not-debited');
    }
    const end = confirmedEnd(await link.request('fee.confirm', { txnId: rec.feeId, tac: rec.tac!, mac2: rec.mac2! }), 'paid');
    return await journal.feeChecks.advance(rec, end.state, end.fields);
  } catch (err) {
    const e = QuancunError.from(err);
    if (e.retryable) throw e;
    return journal.feeChecks.advance(rec, 'held', { code: e.code });
  }
}

/** After a restart: a check that sent nothing ends not decided (the next tap reads the card again); a decision is sent again. */
export async function recoverFeeCheck(ctx: RecoveryContext, rec: FeeCheckRecord): Promise<FeeCheckRecord> {
  if (rec.state === 'checking') return ctx.journal.feeChecks.advance(rec, 'not-decided', { code: rec.code ?? 'INTERNAL' });
  if (rec.state === 'confirming' || rec.state === 'abandoning') return settleFeeCheck(ctx, rec);
  return rec;
}

function outcomeOf(rec: FeeCheckRecord): FeeCheckOutcome {
  const { id: txnId, feeId, state, amount, refundId, receiptNo, code } = rec;
  return { txnId, feeId, state, amount, ...(refundId ? { refundId } : {}), ...(receiptNo ? { receiptNo } : {}), ...(code ? { code } : {}) };
}
