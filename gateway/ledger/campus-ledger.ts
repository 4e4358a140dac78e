/**
 * The campus ledger: the three-state posting of every load: provisional (模拟入账) once the bank approved, final
 * (正式入账) once the card's TAC verified, or pending (圈存未领) when the card could not be written; a campus-funded
 * credit (gateway/credits/) is pending until collected, then final, or expired back to the campus. It shares the
 * gateway's store so a posting is written in the same atomic batch as the load state that causes it: the write-ahead
 * record reconciliation reads. The cardholder accounts are the campus's one-card system's (gateway/onecard/); when
 * that system is an external one, each posting is owed to it too, by an outbox entry in the same batch.
 */
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { CreditSource } from '../../common/api/topics.ts';
import { BuiltInOneCard } from '../onecard/built-in-one-card.ts';
import type { CampusAccount, OneCardSystem, WireStatus } from '../onecard/one-card-system.ts';
import { outboxOp } from '../onecard/posting-outbox.ts';

/** expired: a campus-funded credit (a subsidy) the card never collected went back to the campus. */
export type PostingStatus = 'provisional' | 'final' | 'pending' | 'reversed' | 'expired';

/** The one-card system's name of each status. */
const WIRE_STATUS: Record<PostingStatus, WireStatus> = {
  provisional: 'provisional', final: 'final', pending: 'write-failed', reversed: 'reversed', expired: 'expired',
};

export interface Posting {
  txnId: string;
  campusAccount: string;
  amount: number;
  status: PostingStatus;
  /** Who owes the credit (gateway/credits/); absent: a load from the bank. */
  source?: CreditSource;
  at: string;
}

const postingKey = (txnId: string) => `ledger/posting/${txnId}`;
const transferKey = (txnId: string) => `ledger/transfer/${txnId}`;

/**
 * Money that moves from a card's purse without a bank: a fee from the purse to a biller. Kept apart from the load
 * postings, which reconciliation matches to bank files. held: on its way (the biller not yet paid); final: arrived;
 * undone: did not arrive, and the owed credit `undoneBy` (a fee refund, gateway/credits/: a posting of its own) brings
 * it back to the card.
 */
export interface Transfer {
  txnId: string;
  campusAccount: string;
  amount: number;
  /** `purse`, `campus`, or `biller:<id>`. */
  from: string;
  to: string;
  status: 'held' | 'final' | 'undone';
  undoneBy?: string;
  at: string;
}

export class CampusLedger {
  /** Whether postings are owed to an external one-card system: the built-in one's record is this store. */
  readonly #delivers: boolean;

  constructor(private readonly store: DurableStore, readonly oneCard: OneCardSystem = new BuiltInOneCard(store)) {
    this.#delivers = oneCard.kind !== 'built-in';
  }

  accountByAsn(asn: string): Promise<CampusAccount> {
    return this.oneCard.accountByAsn(asn);
  }

  account(campusAccount: string): Promise<CampusAccount | undefined> {
    return this.oneCard.account(campusAccount);
  }

  /** The writes that record a posting (and owe it to the one-card system); the caller batches them with the state that justifies it. */
  postingOps(posting: Omit<Posting, 'at'>): Op[] {
    const recorded: Posting = { ...posting, at: new Date().toISOString() };
    const ops: Op[] = [{ type: 'put', key: postingKey(posting.txnId), value: recorded }];
    if (this.#delivers) ops.push(outboxOp({ ...recorded, status: WIRE_STATUS[recorded.status] }));
    return ops;
  }

  posting(txnId: string): Promise<Posting | undefined> {
    return this.store.get<Posting>(postingKey(txnId));
  }

  async postings(): Promise<Posting[]> {
    return (await this.store.list<Posting>('ledger/posting/')).map((e) => e.value);
  }

  /** The write that records a transfer; batched with the state that causes it, like a posting. */
  transferOp(transfer: Omit<Transfer, 'at'>): Op {
    return { type: 'put', key: transferKey(transfer.txnId), value: { ...transfer, at: new Date().toISOString() } };
  }

  transfer(txnId: string): Promise<Transfer | undefined> {
    return this.store.get<Transfer>(transferKey(txnId));
  }
}
