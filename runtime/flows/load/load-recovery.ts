/**
 * Bringing an unfinished load record to a definite end after a restart or a reconnect, without the card. The gateway's
 * journal says how far the load got on its side (`txn.status`, answered from its records, so asking twice is
 * harmless); nothing that moves money is repeated:
 * - `created`: nothing was sent: closed, not debited.
 * - `authorizing`: the gateway refused or the bank declined → declined; anything else (never arrived, debited and a
 *   MAC2 issued that the card never got) → the gateway is asked to undo it (`load.abandon`, a reversal).
 * - `authorized`, `abandoning`: the card never got the credit → undo.
 * - `crediting`, `torn`: the card may hold the credit and it is gone → parked as a pending load (圈存未领); its next
 *   tap anywhere decides from the card's counter.
 * - `credited`: the card holds it → final posting (or the gateway's verdict on the TAC, if it already gave one).
 * Anything the gateway cannot settle yet (a bank transfer still in flight) is left for the next try.
 */
import { QuancunError } from '../../../common/errors.ts';
import type { GatewayLoadState, OpResponse } from '../../../common/api/topics.ts';
import type { RecoveryContext } from '../flow.ts';
import { decideInterrupted } from '../../card/card-write.ts';
import { abandonLoad, confirmLoad, parkLoad } from './load-flow.ts';
import type { LoadRecord } from './load-machine.ts';

/** The gateway refused or the bank declined: nothing was debited. */
const NOT_DEBITED: ReadonlySet<GatewayLoadState> = new Set(['rejected', 'declined']);
/** A MAC2 went out: the card may hold the credit, so only its counter may decide, never a reversal. */
const CARD_MAY_HOLD: ReadonlySet<GatewayLoadState> = new Set(['mac2-issued', 'pending-load', 'completed']);

/** The gateway's view of the transaction; null when it never received it. */
async function gatewayStatus(ctx: RecoveryContext, txnId: string): Promise<OpResponse<'txn.status'> | null> {
  try {
    return await ctx.link.request('txn.status', { txnId });
  } catch (err) {
    if (QuancunError.from(err).code === 'TXN_UNKNOWN') return null;
    throw err;
  }
}

export async function recoverLoad(ctx: RecoveryContext, rec: LoadRecord): Promise<LoadRecord> {
  const { journal } = ctx;
  switch (rec.state) {
    case 'created':
      return journal.loads.advance(rec, 'abandoned', { outcome: 'not-debited', code: rec.code ?? 'INTERNAL' });
    case 'authorizing': {
      const status = await gatewayStatus(ctx, rec.id);
      if (status && NOT_DEBITED.has(status.state)) {
        return journal.loads.advance(rec, 'declined', { outcome: 'not-debited', code: rec.code ?? 'INTERNAL' });
      }
      return abandonLoad(ctx, await journal.loads.advance(rec, 'abandoning', { code: rec.code ?? 'INTERNAL' }));
    }
    case 'authorized':
      return abandonLoad(ctx, await journal.loads.advance(rec, 'abandoning', { code: rec.code ?? 'INTERNAL' }));
    case 'abandoning':
      return abandonLoad(ctx, rec);
    case 'crediting':
    case 'torn': {
      const status = await gatewayStatus(ctx, rec.id);
      // The credit was sent and its answer is lost with the process: undecided, as any unanswered card write.
      const undecided = decideInterrupted('credit-for-load', rec.code);
      const torn = rec.state === 'torn' ? rec : await journal.loads.advance(rec, 'torn', { code: undecided.error.code });
      if (status && CARD_MAY_HOLD.has(status.state)) return parkLoad(ctx, torn);
      throw new QuancunError('TXN_STATE', `the gateway holds this torn load as ${status?.state ?? 'unknown'}: left for an operator`, { txnId: rec.id });
    }
    case 'credited': {
      const status = await gatewayStatus(ctx, rec.id);
      if (status?.state === 'completed') return journal.loads.advance(rec, 'completed', { tacVerified: true });
      if (status?.state === 'tac-failed') return journal.loads.advance(rec, 'completed', { tacVerified: false, code: 'CARD_TAC_INVALID' });
      return confirmLoad(ctx, rec);
    }
    default:
      throw new QuancunError('TXN_STATE', `load ${rec.id} is already final (${rec.state})`);
  }
}
