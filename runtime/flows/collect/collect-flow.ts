/**
 * Writes onto a card the credits the gateway owes it (a pending load 圈存未领, a subsidy 补助…), at any kiosk, one
 * COLLECT_MACHINE record each. The card's online counter decides, as for a torn load (settle-credit.ts): an earlier
 * credit that in fact applied is only confirmed with its TAC; one that did not is written with a fresh MAC2. Then the
 * gateway posts finally.
 */
import { QuancunError, type ErrorCode } from '../../../common/errors.ts';
import type { Logger } from '../../../common/log.ts';
import type { KioskJournal } from '../../journal/kiosk-journal.ts';
import type { KioskLink } from '../../link/kiosk-link.ts';
import type { CardSession } from '../card-session.ts';
import type { RecoveryContext } from '../flow.ts';
import { decideInterrupted } from '../../card/card-write.ts';
import { confirmCredit, creditedOutcome, settleOnCard } from '../settle-credit.ts';
import type { CollectRecord, CollectState } from './collect-machine.ts';
import type { CreditSource } from '../../../common/api/topics.ts';

export interface CollectContext {
  journal: KioskJournal;
  link: KioskLink;
  terminalId: string;
  log: Logger;
}

interface CollectOutcomeOf<S extends CollectState> {
  txnId: string;
  /** The gateway's id of the credit collected (for a load, its transaction id). */
  pendingId: string;
  /** Who owed it: a load, a subsidy (补助)… */
  source: CreditSource;
  state: S;
  amount: number;
}

/** The amount is on the card. `credited`: the gateway's final posting is still owed (recovery posts it). */
export interface Collected extends CollectOutcomeOf<'completed' | 'credited'> {
  /** The balance right after the credit. */
  cardAfter: number;
  tac: string;
  tacVerified: boolean;
  /** proof: the earlier credit had in fact applied; recredit: written at this tap. */
  via: 'proof' | 'recredit';
  code?: ErrorCode;
}

/** Not written at this tap: the gateway still holds the load, and the card's next tap decides again. */
export interface NotCollected extends CollectOutcomeOf<'checking' | 'crediting' | 'not-collected'> {
  tacVerified: false;
  code: ErrorCode;
}

export type CollectOutcome = Collected | NotCollected;

export const collected = (o: CollectOutcome): o is Collected => o.state === 'completed' || o.state === 'credited';

export type Owed = CardSession['account']['pendingLoads'][number];

/**
 * Whether a credit is written as soon as the card is tapped: a load, a refund or a transfer, and anything whose MAC2
 * was issued (only the card's counter decides it, and nothing else may move that counter first). A subsidy that
 * never had a MAC2 waits for the cardholder to pick 补助领取.
 */
export const writtenAtTap = (o: Owed): boolean => o.source !== 'subsidy' || o.onlineCounter !== undefined;

/** Collects the credits given (default every one the gateway listed), in order; stops at the first that could not be written. */
export async function runCollect(ctx: CollectContext, session: CardSession, owed: Owed[] = session.account.pendingLoads): Promise<CollectOutcome[]> {
  const outcomes: CollectOutcome[] = [];
  for (const item of owed) {
    const outcome = await collectOne(ctx, session, item);
    outcomes.push(outcome);
    if (!collected(outcome)) break;
  }
  return outcomes;
}

async function collectOne(ctx: CollectContext, session: CardSession, owed: Owed): Promise<CollectOutcome> {
  const { journal } = ctx;
  const { id, reserve } = journal.nextTxnId();
  const log = ctx.log.child({ txnId: id, pendingId: owed.pendingId });
  let rec = await journal.collects.create({
    id, state: 'checking', kind: 'collect', pendingId: owed.pendingId, amount: owed.amount, terminalId: ctx.terminalId,
    asn: session.asn, ...(owed.source ? { source: owed.source } : {}),
    ...(owed.onlineCounter !== undefined ? { onlineCounter: owed.onlineCounter, cardBefore: owed.oldBalance! } : {}),
  }, [reserve]);
  try {
    const settled = await settleOnCard(session.channel, ctx.link, ctx.terminalId,
      { txnId: owed.pendingId, amount: owed.amount, onlineCounter: owed.onlineCounter, cardBefore: owed.oldBalance },
      async (stamp) => {
        rec = await journal.collects.advance(rec, 'crediting', stamp);
      });
    rec = await journal.collects.advance(rec, 'credited', { tac: settled.tac, cardAfter: settled.cardAfter, via: settled.via });
    log.info('owed credit on the card', { amount: rec.amount, source: rec.source ?? 'load', via: settled.via });
  } catch (err) {
    const e = QuancunError.from(err);
    rec = await journal.collects.advance(rec, 'not-collected', { code: e.code });
    log.warn('owed credit not collected at this tap', { code: e.code, source: rec.source ?? 'load' });
    return outcomeOf(rec);
  }
  rec = await confirmCollect(ctx, rec).catch((err: unknown) => {
    log.warn('final posting not confirmed yet', { code: QuancunError.from(err).code });
    return rec;
  });
  return outcomeOf(rec);
}

/** The final posting of a collected load; a TAC the gateway rejects still ends the record, flagged. */
export async function confirmCollect(ctx: RecoveryContext, rec: CollectRecord): Promise<CollectRecord> {
  // The counter is journaled by `credited`: from the gateway's listing, or with the fresh MAC2 at `crediting`.
  const verified = await confirmCredit(ctx.link, { txnId: rec.pendingId, tac: rec.tac!, newBalance: rec.cardAfter!, onlineCounter: rec.onlineCounter! });
  return ctx.journal.collects.advance(rec, 'completed', verified ? { tacVerified: true } : { tacVerified: false, code: 'CARD_TAC_INVALID' });
}

/**
 * After a restart: a collect that never reached the card's credit, or whose answer is unknown, ends here as not
 * collected (the gateway keeps the load pending and the next tap reads the counter); a credited one is confirmed.
 */
export async function recoverCollect(ctx: RecoveryContext, rec: CollectRecord): Promise<CollectRecord> {
  if (rec.state === 'credited') return confirmCollect(ctx, rec);
  // A credit already sent is undecided (card-write.ts), never refused: the load stays pending for the card's counter.
  const code = rec.state === 'crediting' ? decideInterrupted('credit-for-load', rec.code).error.code : (rec.code ?? 'INTERNAL');
  return ctx.journal.collects.advance(rec, 'not-collected', { code });
}

function outcomeOf(rec: CollectRecord): CollectOutcome {
  const base = { txnId: rec.id, pendingId: rec.pendingId, source: rec.source ?? 'load', amount: rec.amount };
  switch (rec.state) {
    case 'completed':
    case 'credited':
      // via is journaled at `credited`, with the TAC.
      return { ...base, state: rec.state, ...creditedOutcome(rec), via: rec.via! };
    case 'checking':
    case 'crediting':
    case 'not-collected':
      return { ...base, state: rec.state, tacVerified: false, code: rec.code ?? 'INTERNAL' };
  }
}
