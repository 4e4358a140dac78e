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
import { STATUS_RANK, type OneCardPosting, type WireStatus } from './one-card-system.ts';

const OUTBOX = 'onecard/outbox/';
const REFUSED = 'onecard/refused/';
const SET_ASIDE = 'onecard/set-aside/';
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

/** A refusal an operator set aside: kept, with who and why, and no longer counted as waiting for anyone. */
export interface SetAsidePosting extends RefusedPosting {
  setAside: { by: string; note: string; at: string };
}

export async function setAsidePostings(store: DurableStore): Promise<SetAsidePosting[]> {
  return (await store.list<SetAsidePosting>(SET_ASIDE)).map((e) => e.value);
}

/** The refusal of the transaction's status, if one is kept. */
export function refusedPosting(store: DurableStore, txnId: string, status: WireStatus): Promise<RefusedPosting | undefined> {
  return store.get<RefusedPosting>(`${REFUSED}${txnId}/${STATUS_RANK[status]}`);
}

/** An operator's answer to a refusal: sent again (the one-card system was put right), or set aside with a note. */
export function settledRefusalOps(refused: RefusedPosting, answer: { resend: true } | { resend: false; by: string; note: string }): Op[] {
  const gone: Op = { type: 'del', key: REFUSED + suffix(refused.posting) };
  if (answer.resend) return [gone, outboxOp(refused.posting)];
  const kept: SetAsidePosting = { ...refused, setAside: { by: answer.by, note: answer.note, at: new Date().toISOString() } };
  return [gone, { type: 'put', key: SET_ASIDE + suffix(refused.posting), value: kept }];
}
