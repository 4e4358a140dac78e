/**
 * A torn purchase: DEBIT FOR PURCHASE was sent and its answer is undecided. The kiosk asks for the same card back (config
 * `limits.rePresentSeconds`); a fresh INITIALIZE FOR PURCHASE shows its offline counter: the same as before the debit
 * means it did not apply (the fee is abandoned, nothing moved; the earlier MAC1 died with its session); one more means
 * it applied, and GET TRANSACTION PROVE (type 06) gives its MAC2 and TAC for `fee.confirm`.
 */
import { QuancunError } from '../../../common/errors.ts';
import { EXCHANGE_FAILURES, type CardChannel } from '../../../hal/card-reader/card-reader.ts';
import { getTransactionProve, initializeForPurchase } from '../../card/purse.ts';
import { whileCardAskedBack } from '../same-card.ts';
import { LOAD_KEY_INDEX } from '../settle-credit.ts';
import type { FeeContext } from './fee-flow.ts';
import { abandonFee } from './fee-flow.ts';
import type { FeeRecord } from './fee-machine.ts';

const PURCHASE_TYPE = 0x06;
const hex = (b: Buffer) => b.toString('hex').toUpperCase();

type Verdict = { applied: true; tac: string; mac2: string } | { applied: false; offlineCounter: number };

/** Reads the card's offline counter and, when the debit applied, its proof; moves no money. Also for a fee in doubt at a later tap (fee-check/). */
export async function inspectDebit(ch: CardChannel, rec: Pick<FeeRecord, 'id' | 'amount' | 'offlineCounter'>, terminalId: string): Promise<Verdict> {
  const saved = rec.offlineCounter!;
  let counter: number | undefined;
  try {
    counter = (await initializeForPurchase(ch, { keyIndex: LOAD_KEY_INDEX, amount: rec.amount, terminalId: Buffer.from(terminalId, 'hex') })).offlineCounter;
  } catch (err) {
    // The balance no longer covers the amount: most likely because the debit applied. The proof decides.
    if (QuancunError.from(err).code !== 'CARD_BALANCE_INSUFFICIENT') throw err;
  }
  if (counter === saved) return { applied: false, offlineCounter: counter };
  if (counter !== undefined && counter !== saved + 1) {
    throw new QuancunError('TXN_STATE', 'the card counter is neither before nor just after the debit', { txnId: rec.id, expected: saved, card: counter });
  }
  const proof = await getTransactionProve(ch, { type: PURCHASE_TYPE, counter: saved + 1 });
  if (!proof) throw new QuancunError('CARD_ERROR', 'the card shows no proof of the purchase its counter says it made', { txnId: rec.id });
  return { applied: true, tac: hex(proof.tac), mac2: hex(proof.mac) };
}

/** Ends a `torn` record: `debited` (then confirmed by the caller), `not-debited`, or `undecided` if the card stays away. */
export async function resolveTornFee(ctx: FeeContext, rec: FeeRecord, seconds: number): Promise<FeeRecord> {
  const { journal, log } = ctx;
  const decided = await whileCardAskedBack({
    reader: ctx.reader, profile: ctx.cardProfile, asn: rec.asn, seconds, ...(ctx.stopSignal ? { stopSignal: ctx.stopSignal } : {}),
    announce: (secondsLeft, code) => ctx.onRePresent?.({ txnId: rec.id, amount: rec.amount, secondsLeft, ...(code ? { code } : {}) }),
  }, async (channel) => {
    try {
      const verdict = await inspectDebit(channel, rec, ctx.terminalId);
      if (verdict.applied) {
        log.info('torn purchase applied on the card', { txnId: rec.id });
        return await journal.fees.advance(rec, 'debited', { tac: verdict.tac, mac2: verdict.mac2, cardAfter: rec.cardBefore! - rec.amount, code: undefined });
      }
      log.info('torn purchase did not apply on the card', { txnId: rec.id });
      rec = await journal.fees.advance(rec, 'abandoning', { code: rec.code });
      return await abandonFee(ctx, rec, verdict.offlineCounter).catch(() => rec);
    } catch (err) {
      const e = QuancunError.from(err);
      log.warn('torn purchase not decided on this tap', { txnId: rec.id, code: e.code });
      return EXCHANGE_FAILURES.has(e.code) ? 'again' : 'give-up';
    }
  });
  if (decided) return decided;
  if (ctx.stopSignal?.aborted) return rec;
  return journal.fees.advance(rec, 'undecided');
}
