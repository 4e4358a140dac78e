/**
 * Runs one fee paid from the purse (缴费) on a card session, driving FEE_MACHINE: INITIALIZE FOR PURCHASE, MAC1 from
 * the gateway (`fee.begin`), DEBIT FOR PURCHASE, then `fee.confirm` with the card's TAC and MAC2, after which the
 * gateway pays the biller. Each step only after the state that admits it is synced. Once DEBIT was sent, anything but
 * a definite answer is undecided (card-write.ts): the card's offline counter decides (torn-fee.ts), never a guess.
 */
import { QuancunError, type ErrorCode } from '../../../common/errors.ts';
import type { Logger } from '../../../common/log.ts';
import type { OpResponse } from '../../../common/api/topics.ts';
import type { CardReader } from '../../../hal/card-reader/card-reader.ts';
import type { CardProfile } from '../../card/card-profile.ts';
import { debitForPurchase, initializeForPurchase } from '../../card/purse.ts';
import type { KioskJournal } from '../../journal/kiosk-journal.ts';
import type { KioskLink } from '../../link/kiosk-link.ts';
import type { CardSession } from '../card-session.ts';
import { LOAD_KEY_INDEX } from '../settle-credit.ts';
import { decideInterrupted } from '../../card/card-write.ts';
import type { FeeRecord } from './fee-machine.ts';
import { resolveTornFee } from './torn-fee.ts';
import type { RePresentInfo } from '../load/torn-load.ts';

export interface FeeOrder {
  billerId: string;
  account: string;
  amount: number;
}

export interface FeeContext {
  journal: KioskJournal;
  link: KioskLink;
  terminalId: string;
  log: Logger;
  /** Where the same card is asked back after a torn debit. */
  reader: CardReader;
  cardProfile: CardProfile;
  onRePresent?: (info: RePresentInfo) => void;
  /** The kiosk is stopping: a torn fee stops waiting and stays torn for recovery. */
  stopSignal?: AbortSignal;
}

/** What a fee ended as: the record's state, and what the card and the screens need of it. */
export interface FeeOutcome {
  txnId: string;
  state: FeeRecord['state'];
  amount: number;
  billerId: string;
  account: string;
  cardBefore?: number;
  cardAfter?: number;
  tac?: string;
  receiptNo?: string;
  refundId?: string;
  code?: ErrorCode;
}

const LINK_UNCERTAIN = new Set<ErrorCode>(['LINK_TIMEOUT', 'LINK_OFFLINE']);
const hex = (b: Buffer) => b.toString('hex').toUpperCase();

/** The checks a kiosk can make before anything is sent; each failure is a typed error and moves no money. */
export function checkFee(session: CardSession, order: FeeOrder): void {
  if (!Number.isSafeInteger(order.amount) || order.amount <= 0) throw new QuancunError('FEE_AMOUNT_INVALID', `a fee is a positive number of fen: ${order.amount}`);
  // A purchase would move the offline counter that decides an earlier fee of the card, and replace its proof.
  if (session.account.feesInDoubt?.length) {
    throw new QuancunError('FEE_IN_DOUBT', 'an earlier fee of the card waits for its offline counter to decide it', { txnId: session.account.feesInDoubt[0]!.txnId });
  }
  if (order.amount > session.balance) {
    throw new QuancunError('CARD_BALANCE_INSUFFICIENT', `amount ${order.amount} exceeds the card balance ${session.balance}`, { balance: session.balance });
  }
}

export async function runFee(ctx: FeeContext, session: CardSession, order: FeeOrder): Promise<FeeOutcome> {
  checkFee(session, order);
  await ctx.link.whenOnline('fee');
  const { journal } = ctx;
  const { id, reserve } = journal.nextTxnId();
  let rec = await journal.fees.create({
    id, state: 'created', kind: 'fee', ...order, terminalId: ctx.terminalId, asn: session.asn, cardBefore: session.balance,
  }, [reserve]);
  try {
    rec = await drive(ctx, session, rec);
  } catch (err) {
    const e = QuancunError.from(err);
    ctx.log.info('fee ended without a payment', { txnId: id, code: e.code });
    rec = await journal.fees.require(id);
  }
  return outcomeOf(rec);
}

export function outcomeOf(rec: FeeRecord): FeeOutcome {
  const { id: txnId, state, amount, billerId, account, cardBefore, cardAfter, tac, receiptNo, refundId, code } = rec;
  const defined = Object.entries({ cardBefore, cardAfter, tac, receiptNo, refundId, code }).filter(([, v]) => v !== undefined);
  return { txnId, state, amount, billerId, account, ...Object.fromEntries(defined) };
}

async function drive(ctx: FeeContext, session: CardSession, rec: FeeRecord): Promise<FeeRecord> {
  const { journal } = ctx;
  let init;
  try {
    init = await initializeForPurchase(session.channel, { keyIndex: LOAD_KEY_INDEX, amount: rec.amount, terminalId: Buffer.from(ctx.terminalId, 'hex') });
  } catch (err) {
    const e = QuancunError.from(err);
    await journal.fees.advance(rec, 'declined', { code: e.code });
    throw e;
  }
  rec = await journal.fees.advance(rec, 'beginning', { cardBefore: init.balance, offlineCounter: init.offlineCounter });
  let mac1;
  try {
    mac1 = await ctx.link.request('fee.begin', {
      txnId: rec.id, asn: session.asn, billerId: rec.billerId, account: rec.account, amount: rec.amount, terminalId: ctx.terminalId,
      card: { balance: init.balance, offlineCounter: init.offlineCounter, keyVersion: init.keyVersion, algId: init.algId, random: hex(init.random) },
    });
  } catch (err) {
    const e = QuancunError.from(err);
    // The gateway may have issued MAC1: it is told the card was not debited (DEBIT was never sent).
    if (LINK_UNCERTAIN.has(e.code)) await abandonFee(ctx, await journal.fees.advance(rec, 'abandoning', { code: e.code })).catch(() => {});
    else await journal.fees.advance(rec, 'declined', { code: e.code });
    throw e;
  }
  rec = await journal.fees.advance(rec, 'debiting', { mac1: mac1.mac1, terminalTxSeq: mac1.terminalTxSeq, hostDate: mac1.hostDate, hostTime: mac1.hostTime });
  const written = await debitForPurchase(session.channel, {
    terminalTxSeq: mac1.terminalTxSeq, date: Buffer.from(mac1.hostDate, 'hex'), time: Buffer.from(mac1.hostTime, 'hex'), mac1: Buffer.from(mac1.mac1, 'hex'),
  });
  if (written.decision === 'undecided') {
    rec = await journal.fees.advance(rec, 'torn', { code: written.error.code });
    ctx.log.warn('card debit undecided: torn purchase', { txnId: rec.id, code: written.error.code });
    rec = await resolveTornFee(ctx, rec, session.account.limits.rePresentSeconds);
    if (rec.state !== 'debited') return rec;
  } else if (written.decision === 'not-applied') {
    await abandonFee(ctx, await journal.fees.advance(rec, 'abandoning', { code: written.error.code })).catch(() => {});
    throw written.error;
  } else {
    rec = await journal.fees.advance(rec, 'debited', {
      tac: hex(written.value.tac), mac2: hex(written.value.mac2), cardAfter: init.balance - rec.amount,
    });
  }
  return confirmFee(ctx, rec).catch((err: unknown) => {
    ctx.log.warn('fee not confirmed yet: recovery confirms it', { txnId: rec.id, code: QuancunError.from(err).code });
    return rec;
  });
}

/** The card is debited: the gateway verifies its proof and pays the biller, owes the amount back, or waits for a silent biller. */
export async function confirmFee(ctx: Pick<FeeContext, 'link' | 'journal'>, rec: FeeRecord): Promise<FeeRecord> {
  const end = confirmedEnd(await ctx.link.request('fee.confirm', { txnId: rec.id, tac: rec.tac!, mac2: rec.mac2! }), 'completed');
  return ctx.journal.fees.advance(rec, end.state, end.fields);
}

/**
 * The kiosk state a `fee.confirm` answer ends a record in, with what the record keeps of it: the fee's own record and
 * a fee decided at another tap (fee-check/) alike. `paid` is the caller's name for a paid fee.
 */
export function confirmedEnd<P extends string>(answer: OpResponse<'fee.confirm'>, paid: P):
  | { state: P; fields: { receiptNo: string } }
  | { state: 'biller-pending'; fields: { code: ErrorCode } }
  | { state: 'refund-owed'; fields: { refundId: string; code: ErrorCode } } {
  if (answer.state === 'paid') return { state: paid, fields: { receiptNo: answer.receiptNo! } };
  if (answer.state === 'paying') return { state: 'biller-pending', fields: { code: answer.code ?? 'BILLER_UNAVAILABLE' } };
  return { state: 'refund-owed', fields: { refundId: answer.refundId!, code: answer.code ?? 'FEE_REFUND_OWED' } };
}

/** The card was not debited: the gateway closes the fee's MAC1. */
export async function abandonFee(ctx: Pick<FeeContext, 'link' | 'journal'>, rec: FeeRecord, offlineCounter?: number): Promise<FeeRecord> {
  await ctx.link.request('fee.abandon', { txnId: rec.id, ...(offlineCounter === undefined ? {} : { offlineCounter }) });
  return ctx.journal.fees.advance(rec, 'not-debited');
}

/**
 * After a restart: a fee whose DEBIT was never sent ends with nothing moved; a debited one is confirmed; one whose
 * DEBIT was sent is undecided (card-write.ts), never refused — its card's counter decides, not this kiosk.
 */
export async function recoverFee(ctx: Pick<FeeContext, 'link' | 'journal'>, rec: FeeRecord): Promise<FeeRecord> {
  switch (rec.state) {
    case 'created':
      return ctx.journal.fees.advance(rec, 'declined', { code: rec.code ?? 'INTERNAL' });
    case 'beginning':
      return abandonFee(ctx, await ctx.journal.fees.advance(rec, 'abandoning', { code: rec.code ?? 'INTERNAL' }));
    case 'abandoning':
      return abandonFee(ctx, rec);
    case 'debited':
      return confirmFee(ctx, rec);
    case 'debiting':
      // Torn, and with no card asked back here, undecided in the same pass: a record left `torn` would wait for the
      // kiosk's next reconnection to end.
      return recoverFee(ctx, await ctx.journal.fees.advance(rec, 'torn', { code: decideInterrupted('debit-for-purchase', rec.code).error.code }));
    case 'torn':
      return ctx.journal.fees.advance(rec, 'undecided');
    default:
      return rec;
  }
}
