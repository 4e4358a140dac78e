/**
 * The built-in one-card system (the default): the cardholder accounts live in the gateway's own store, seeded from
 * the config's `cardholders` at open, and the gateway's store is the one-card record, so a posting has nowhere else
 * to go: `post` changes nothing.
 */
import { QuancunError } from '../../common/errors.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { CampusAccount, OneCardPosting, OneCardSystem } from './one-card-system.ts';

/** The accounts the config names (`cardholders`), as the store keeps them. */
export function cardholderAccounts(config: { cardholders: CampusAccount[] }): CampusAccount[] {
  return config.cardholders.map((c) => ({ ...c, asn: c.asn.toUpperCase() }));
}

const accountKey = (id: string) => `ledger/account/${id}`;
const asnKey = (asn: string) => `ledger/asn/${asn.toUpperCase()}`;

/** Accounts kept in memory at most; past it the cache starts again (a campus has tens of thousands of cardholders). */
const CACHED_ACCOUNTS = 100_000;

export class BuiltInOneCard implements OneCardSystem {
  readonly kind = 'built-in';
  /**
   * Accounts read, by ASN: an account in the store is never rewritten (seed only adds) and the gateway is its store's
   * only writer, so one read serves every later load of the card — three per load otherwise, each a round trip to
   * PostgreSQL. A card not found is not cached: seeding may add it.
   */
  readonly #byAsn = new Map<string, CampusAccount>();

  constructor(private readonly store: DurableStore, private readonly cardholders: CampusAccount[] = []) {}

  /** The store is opened by its owner (the gateway); here the config's accounts are added to it. */
  open(): Promise<void> {
    return this.seed(this.cardholders);
  }

  async close(): Promise<void> {}

  /** Adds accounts that are not yet in the store; existing accounts are never overwritten. */
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
    const cached = this.#byAsn.get(asn.toUpperCase());
    if (cached) return { ...cached };
    const id = await this.store.get<string>(asnKey(asn));
    const account = id === undefined ? undefined : await this.store.get<CampusAccount>(accountKey(id));
    if (!account) throw new QuancunError('CARD_UNKNOWN', 'no campus account holds this card', { asnTail: asn.slice(-4) });
    if (this.#byAsn.size >= CACHED_ACCOUNTS) this.#byAsn.clear();
    this.#byAsn.set(asn.toUpperCase(), { ...account });
    return account;
  }

  account(campusAccount: string): Promise<CampusAccount | undefined> {
    return this.store.get<CampusAccount>(accountKey(campusAccount));
  }

  /** The posting is in the gateway's store already, written with the state that caused it. */
  async post(posting: OneCardPosting): Promise<OneCardPosting> {
    return posting;
  }
}
