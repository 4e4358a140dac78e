/**
 * A torn load: the card left while CREDIT FOR LOAD was on its way. The kiosk asks for the same card back for a while
 * (config `limits.rePresentSeconds`), then the card's online counter decides (settle-credit.ts): applied, the TAC
 * comes from GET TRANSACTION PROVE; not applied, a fresh MAC2 for the same debit is written. If the card does not come
 * back, the gateway keeps the amount as a pending load (圈存未领) that any kiosk writes at the card's next tap.
 */
import { QuancunError, type ErrorCode } from '../../../common/errors.ts';
import { EXCHANGE_FAILURES } from '../../../hal/card-reader/card-reader.ts';
import { whileCardAskedBack } from '../same-card.ts';
import { settleOnCard } from '../settle-credit.ts';
import type { LoadContext } from './load-flow.ts';
import { confirmLoad, parkLoad } from './load-flow.ts';
import type { LoadRecord } from './load-machine.ts';

export interface RePresentInfo {
  txnId: string;
  amount: number;
  secondsLeft: number;
  /** CARD_MISMATCH when another card was presented (it is ignored). */
  code?: ErrorCode;
}

/** Ends a `torn` record: credited and confirmed, parked as a pending load, or (kiosk stopping) still torn. */
export async function resolveTorn(ctx: LoadContext, rec: LoadRecord, seconds: number): Promise<LoadRecord> {
  const { journal, log } = ctx;
  const decided = await whileCardAskedBack({
    reader: ctx.reader, profile: ctx.cardProfile, asn: rec.asn, seconds, ...(ctx.stopSignal ? { stopSignal: ctx.stopSignal } : {}),
    announce: (secondsLeft, code) => {
      if (code) log.info('another card presented while a torn load waits', { txnId: rec.id, code });
      ctx.onRePresent?.({ txnId: rec.id, amount: rec.amount, secondsLeft, ...(code ? { code } : {}) });
    },
  }, async (channel) => {
    try {
      const owed = { txnId: rec.id, amount: rec.amount, onlineCounter: rec.onlineCounter!, cardBefore: rec.cardBefore! };
      const settled = await settleOnCard(channel, ctx.link, ctx.terminalId, owed, async (stamp) => {
        rec = await journal.loads.advance(rec, 'crediting', stamp);
      });
      // The history keeps the tear; the code said why the load was undecided, and now it is decided.
      rec = await journal.loads.advance(rec, 'credited', { tac: settled.tac, cardAfter: settled.cardAfter, outcome: settled.via, code: undefined });
      log.info('torn load decided on the card', { txnId: rec.id, via: settled.via });
      return await confirmLoad(ctx, rec).catch((err: unknown) => {
        log.warn('final posting not confirmed yet', { txnId: rec.id, code: QuancunError.from(err).code });
        return rec;
      });
    } catch (err) {
      const e = QuancunError.from(err);
      if (rec.state === 'crediting') rec = await journal.loads.advance(rec, 'torn', { code: e.code });
      log.warn('torn load not decided on this tap', { txnId: rec.id, code: e.code });
      // The exchange broke off again (taken away, no answer): wait on. Anything else (the card refused, the
      // gateway unreachable) will not mend here.
      return EXCHANGE_FAILURES.has(e.code) ? 'again' : 'give-up';
    }
  });
  if (decided) return decided;
  if (ctx.stopSignal?.aborted) return rec;
  return parkLoad(ctx, rec).catch((err: unknown) => {
    log.warn('torn load not parked yet: recovery parks it', { txnId: rec.id, code: QuancunError.from(err).code });
    return rec;
  });
}
