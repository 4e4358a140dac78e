/**
 * Writes a card's pending loads (圈存未领) onto it at a tap, at any kiosk, one COLLECT_MACHINE record each. The card's
 * online counter decides, as for a torn load (settle-credit.ts): an earlier credit that in fact applied is only
 * confirmed with its TAC; one that did not is written with a fresh MAC2. Then the gateway posts finally.
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

export interface CollectContext {
  journal: KioskJournal;
  link: KioskLink;
  terminalId: string;
  log: Logger;
}

interface CollectOutcomeOf<S extends CollectState> {
  txnId: string;
  /** The gateway's transaction id of the load collected. */
  pendingId: string;
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

type Owed = CardSession['account']['pendingLoads'][number];

/** Collects every load the gateway listed for this card, in order; stops at the first that could not be written. */
export async function runCollect(ctx: CollectContext, session: CardSession): Promise<CollectOutcome[]> {
  const outcomes: CollectOutcome[] = [];
  for (const owed of session.account.pendingLoads) {
    const outcome = await collectOne(ctx, session, owed);
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
    asn: session.asn, ...(owed.onlineCounter === undefined ? {} : { onlineCounter: owed.onlineCounter, cardBefore: owed.oldBalance! }),
  }, [reserve]);
  try {
    const settled = await settleOnCard(session.channel, ctx.link, ctx.terminalId,
      { txnId: owed.pendingId, amount: owed.amount, onlineCounter: owed.onlineCounter, cardBefore: owed.oldBalance },
      async (stamp) => {
        rec = await journal.collects.advance(rec, 'crediting', stamp);
      });
    rec = await journal.collects.advance(rec, 'credited', { tac: settled.tac, cardAfter: settled.cardAfter, via: settled.via });
    log.info('pending load on the card', { amount: rec.amount, via: settled.via });
  } catch (err) {
    const e = QuancunError.from(err);
    rec = await journal.collects.advance(rec, 'not-collected', { code: e.code });
    log.warn('pending load not collected at this tap', { code: e.code });
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
  const base = { txnId: rec.id, pendingId: rec.pendingId, amount: rec.amount };
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
