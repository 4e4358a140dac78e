/**
 * The campus ledger: cardholder accounts, their card/bank binding (签约), and the three-state posting of every load:
 * provisional (模拟入账) once the bank approved, final (正式入账) once the card's TAC verified, or pending
 * (圈存未领) when the card could not be written; a campus-funded credit (gateway/credits/) is pending until collected,
 * then final, or expired back to the campus. It shares the gateway's LevelDB so a posting is written in the same
 * atomic batch as the load state that causes it.
 */
import { QuancunError } from '../../common/errors.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { CreditSource } from '../../common/api/topics.ts';

export interface CampusAccount {
  campusAccount: string;
  name: string;
  staffNo: string;
  /** The card's application serial number (hex, 20 digits). */
  asn: string;
  /** The bound bank, if the cardholder signed a binding (签约). */
  bankId?: string;
  bankPan?: string;
}

/** expired: a campus-funded credit (a subsidy) the card never collected went back to the campus. */
export type PostingStatus = 'provisional' | 'final' | 'pending' | 'reversed' | 'expired';

export interface Posting {
  txnId: string;
  campusAccount: string;
  amount: number;
  status: PostingStatus;
  /** Who owes the credit (gateway/credits/); absent: a load from the bank. */
  source?: CreditSource;
  at: string;
}

/** The accounts the config names (`cardholders`), as the ledger keeps them: what the gateway seeds at start. */
export function cardholderAccounts(config: { cardholders: CampusAccount[] }): CampusAccount[] {
  return config.cardholders.map((c) => ({ ...c, asn: c.asn.toUpperCase() }));
}

const accountKey = (id: string) => `ledger/account/${id}`;
const asnKey = (asn: string) => `ledger/asn/${asn.toUpperCase()}`;
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
  constructor(private readonly store: DurableStore) {}

  /** Adds accounts that are not yet on the ledger; existing accounts and their postings are never overwritten. */
  async seed(accounts: CampusAccount[]): Promise<void> {
    const ops: Op[] = [];
    for (const account of accounts) {
      if (await this.store.get(accountKey(account.campusAccount))) continue;
      ops.push({ type: 'put', key: accountKey(account.campusAccount), value: account });
      ops.push({ type: 'put', key: asnKey(account.asn), value: account.campusAccount });
    }
    if (ops.length) await this.store.batch(ops);
  }

  async accountByAsn(asn: string): Promise<CampusAccount> {
    const id = await this.store.get<string>(asnKey(asn));
    const account = id === undefined ? undefined : await this.store.get<CampusAccount>(accountKey(id));
    if (!account) throw new QuancunError('CARD_UNKNOWN', 'no campus account holds this card', { asnTail: asn.slice(-4) });
    return account;
  }

  account(campusAccount: string): Promise<CampusAccount | undefined> {
    return this.store.get<CampusAccount>(accountKey(campusAccount));
  }

  /** The write that records a posting; the caller batches it with the load state that justifies it. */
  postingOp(posting: Omit<Posting, 'at'>): Op {
    return { type: 'put', key: postingKey(posting.txnId), value: { ...posting, at: new Date().toISOString() } };
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
