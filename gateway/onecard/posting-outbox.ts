/**
 * The postings owed to an external one-card system, in the gateway's store: an entry is written in the same atomic
 * batch as the posting (and the state that causes it), so none is lost to a crash, and deleted by the relay
 * (posting-relay.ts) only once the system answered. A refused one is kept under a key of its own for an operator.
 *
 * Keys: `onecard/outbox/<txnId>/<rank>`, the rank of its status (STATUS_RANK): a transaction's entries list in the
 * order its statuses were made, and the same status written twice is one entry.
 */
import type { ErrorCode } from '../../common/errors.ts';
import type { DurableStore, Entry, Op } from '../../common/store/durable-store.ts';
import { STATUS_RANK, type OneCardPosting } from './one-card-system.ts';

const OUTBOX = 'onecard/outbox/';
const REFUSED = 'onecard/refused/';
const suffix = (p: OneCardPosting) => `${p.txnId}/${STATUS_RANK[p.status]}`;

/** A posting the one-card system definitely refused: not sent again, kept until an operator deals with it. */
export interface RefusedPosting {
  posting: OneCardPosting;
  code: ErrorCode;
  /** The system's words. */
  reason: string;
  at: string;
}

export function outboxOp(posting: OneCardPosting): Op {
  return { type: 'put', key: OUTBOX + suffix(posting), value: posting };
}

export function owedPostings(store: DurableStore): Promise<Array<Entry<OneCardPosting>>> {
  return store.list<OneCardPosting>(OUTBOX);
}

/** The batch that ends an entry the system answered: gone, and kept as refused when it was. */
export function deliveredOps(entry: Entry<OneCardPosting>, refused?: Omit<RefusedPosting, 'posting'>): Op[] {
  return [{ type: 'del', key: entry.key }, ...(refused ? [{ type: 'put' as const, key: REFUSED + suffix(entry.value), value: { posting: entry.value, ...refused } }] : [])];
}

export async function refusedPostings(store: DurableStore): Promise<RefusedPosting[]> {
  return (await store.list<RefusedPosting>(REFUSED)).map((e) => e.value);
}
