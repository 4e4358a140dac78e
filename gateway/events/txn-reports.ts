/**
 * The gateway's record of the outcomes kiosks report (`txn` events from their outboxes): one entry per kiosk and
 * transaction, numbered in the order they arrived. A kiosk sends a report again when it crashed between the broker's
 * PUBACK and removing it from its outbox, and the broker may deliver a QoS 1 message twice: a copy changes nothing.
 */
import { KeyedQueue } from '../../common/keyed-queue.ts';
import { EventEmitter } from 'node:events';
import type { EventPayload } from '../../common/api/topics.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';

export interface TxnReport {
  kioskId: string;
  /** Arrival order across all kiosks, from 1. */
  seq: number;
  receivedAt: string;
  event: EventPayload<'txn'>;
}

const PREFIX = 'report/txn/';
const SEQ_KEY = 'meta/report-seq';

export class TxnReports extends EventEmitter<{ recorded: [report: TxnReport]; duplicate: [kioskId: string, txnId: string] }> {
  #seq: number | undefined;
  /** One report at a time, in arrival order: the sequence and the duplicate check must not interleave. */
  readonly #turns = new KeyedQueue();

  constructor(
    private readonly store: DurableStore,
    private readonly log: Logger,
  ) {
    super();
  }

  /** Records a report unless this kiosk already reported this transaction; says which it was. */
  record(kioskId: string, event: EventPayload<'txn'>): Promise<'recorded' | 'duplicate'> {
    return this.#turns.run('reports', () => this.#record(kioskId, event));
  }

  /** What `kioskId` reported of `txnId`, if it did. */
  get(kioskId: string, txnId: string): Promise<TxnReport | undefined> {
    return this.store.get<TxnReport>(`${PREFIX}${kioskId}/${txnId}`);
  }

  /** Every report kept, or one kiosk's, in arrival order. */
  async all(kioskId?: string): Promise<TxnReport[]> {
    return (await this.store.list<TxnReport>(kioskId === undefined ? PREFIX : `${PREFIX}${kioskId}/`)).map((e) => e.value).sort((a, b) => a.seq - b.seq);
  }

  async #record(kioskId: string, event: EventPayload<'txn'>): Promise<'recorded' | 'duplicate'> {
    const key = `${PREFIX}${kioskId}/${event.txnId}`;
    const known = await this.store.get<TxnReport>(key);
    if (known) {
      if (JSON.stringify(known.event) !== JSON.stringify(event)) {
        this.log.error('a kiosk reported a different outcome for a transaction it reported before; the first is kept', {
          kioskId, txnId: event.txnId, kept: known.event.state, received: event.state,
        });
      }
      this.emit('duplicate', kioskId, event.txnId);
      return 'duplicate';
    }
    const seq = (this.#seq ??= (await this.store.get<number>(SEQ_KEY)) ?? 0) + 1;
    const report: TxnReport = { kioskId, seq, receivedAt: new Date().toISOString(), event };
    await this.store.batch([{ type: 'put', key, value: report }, { type: 'put', key: SEQ_KEY, value: seq }]);
    this.#seq = seq;
    this.emit('recorded', report);
    return 'recorded';
  }
}
