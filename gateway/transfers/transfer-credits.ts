/**
 * Where an approved standing transfer becomes money the card is owed. The transfers need three things of the owed
 * credits (gateway/credits/, being built beside this: CampusCredits has this shape and takes its place at merge):
 * to owe credits, to know whether one is already owed (a resumed run owes none twice), and the card's credits not yet
 * on it (a top-up order does not pull again what the card has not collected).
 *
 * Until then `HeldTransferCredits` keeps them in the gateway's store with a pending posting (圈存未领), listed by the
 * run summary and `quancun transfer list`; the kiosk's 领款 flow writes them once gateway/credits/ lists them at the tap.
 */
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';

export interface NewTransferCredit {
  /** The transfer's id: one credit per transfer. */
  id: string;
  source: 'transfer';
  asn: string;
  campusAccount: string;
  amount: number;
  label?: string;
}

export interface TransferCredits {
  owe(credits: NewTransferCredit[]): Promise<unknown>;
  owns(id: string): Promise<boolean>;
  /** The card's credits not yet written to it. */
  open(asn: string): Promise<Array<{ source: string; amount: number }>>;
}

const creditKey = (asn: string, id: string) => `gw/transfer-credit/${asn.toUpperCase()}/${id}`;
const idKey = (id: string) => `gw/transfer-credit-id/${id}`;

export class HeldTransferCredits implements TransferCredits {
  constructor(private readonly store: DurableStore, private readonly ledger: CampusLedger) {}

  async owe(credits: NewTransferCredit[]): Promise<void> {
    await this.store.batch(credits.flatMap((c) => [
      { type: 'put' as const, key: creditKey(c.asn, c.id), value: c },
      { type: 'put' as const, key: idKey(c.id), value: c.asn },
      this.ledger.postingOp({ txnId: c.id, campusAccount: c.campusAccount, amount: c.amount, status: 'pending' }),
    ]));
  }

  async owns(id: string): Promise<boolean> {
    return (await this.store.get(idKey(id))) !== undefined;
  }

  async open(asn: string): Promise<NewTransferCredit[]> {
    return (await this.store.list<NewTransferCredit>(`gw/transfer-credit/${asn.toUpperCase()}/`)).map((e) => e.value);
  }
}
