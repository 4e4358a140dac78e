/**
 * The gateway's transactions for the operator console: search (transaction-search.ts), one load's story
 * (transaction-story.ts), and `change`, a summary fired after every load state the journal writes, in the order
 * written: the live monitor.
 */
import { KeyedQueue } from '../../common/keyed-queue.ts';
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { TxnReports } from '../events/txn-reports.ts';
import type { IsoJournal } from '../bank/iso-journal.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { CampusAccount } from '../onecard/one-card-system.ts';
import type { SettlementRecord } from '../settlement/settlement-service.ts';
import type { GatewayLoadRecord, GatewayLoadState } from './gateway-load-machine.ts';
import { parseTxnQuery, searchLoads, summarize, type TxnPage, type TxnSummary } from './transaction-search.ts';
import { storyOf, type TxnStory } from './transaction-story.ts';

export interface TransactionsOptions {
  loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>;
  ledger: CampusLedger;
  reports: TxnReports;
  iso: IsoJournal;
  settlements: { all(): Promise<SettlementRecord[]> };
  timeZone: string;
  log: Logger;
}

export class Transactions extends EventEmitter<{ change: [summary: TxnSummary] }> {
  readonly #o: TransactionsOptions;
  /** Summaries go out in the order the states were written, though each waits for its account lookup. */
  readonly #order = new KeyedQueue();

  constructor(options: TransactionsOptions) {
    super();
    this.#o = options;
    options.loads.on('changed', (record) => {
      // Summarised for whom listens (the console's live monitor): each costs an account lookup.
      if (this.listenerCount('change') === 0) return;
      void this.#order.run('changes', async () => void this.emit('change', summarize(record, await this.#account(record.asn), options.timeZone)))
        .catch((err) => options.log.warn('live transaction update failed', { txnId: record.id, error: err as Error }));
    });
  }

  /** `query` as a form or query string gives it (see parseTxnQuery); QUERY_INVALID when it is not valid. */
  async search(query: Record<string, unknown>): Promise<TxnPage> {
    const q = parseTxnQuery(query);
    return searchLoads({ loads: this.#o.loads, account: (asn) => this.#account(asn), timeZone: this.#o.timeZone }, q);
  }

  /** TXN_UNKNOWN when the gateway has no such load. */
  async story(txnId: string): Promise<TxnStory> {
    const record = await this.#o.loads.require(txnId);
    const { reports, ledger, iso, settlements } = this.#o;
    return storyOf(
      { reports, posting: (id) => ledger.posting(id), isoMessages: (id) => iso.forTxn(id), settlements: () => settlements.all() },
      record, summarize(record, await this.#account(record.asn), this.#o.timeZone),
    );
  }

  async #account(asn: string): Promise<CampusAccount | undefined> {
    if (!asn) return undefined;
    try {
      return await this.#o.ledger.accountByAsn(asn);
    } catch (err) {
      if (QuancunError.from(err).code === 'CARD_UNKNOWN') return undefined;
      throw err;
    }
  }
}
