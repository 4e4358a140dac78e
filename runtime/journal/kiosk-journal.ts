/**
 * The kiosk's journal on LevelDB: transaction records (one journaled machine per flow) and the transaction id
 * sequence. Ids are `<kioskId>-<seq>`, the sequence written in the same synced batch as the record an id names, so
 * ids stay unique across restarts and crashes (a crash may skip a number, never repeat one).
 */
import { join } from 'node:path';
import { DurableStore, type Op } from '../../common/store/durable-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { LOAD_MACHINE, type LoadRecord, type LoadState } from '../flows/load/load-machine.ts';
import { createLogger, type Logger } from '../../common/log.ts';
import { Outbox } from '../outbox/outbox.ts';
import { reportFinalOutcome } from '../outbox/txn-report.ts';
import { COLLECT_MACHINE, type CollectRecord, type CollectState } from '../flows/collect/collect-machine.ts';
import { FEE_MACHINE, type FeeRecord, type FeeState } from '../flows/fee/fee-machine.ts';

const SEQ_KEY = 'meta/txn-seq';
const BIRTH_KEY = 'meta/birth-seq';

/** What the journal holds open, for telemetry and diagnostics: unfinished records by kind and state, the outbox's depth. */
export interface JournalSummary {
  open: Record<string, Record<string, number>>;
  outboxDepth: number;
}

export const EMPTY_JOURNAL_SUMMARY: JournalSummary = { open: {}, outboxDepth: 0 };

/** How many records are unfinished, all kinds and states together. */
export function openRecords(summary: JournalSummary): number {
  return Object.values(summary.open).flatMap(Object.values).reduce((a, b) => a + b, 0);
}

/** Where a kiosk's journal is in its data dir. */
export const kioskJournalPath = (dataDir: string, kioskId: string) => join(dataDir, `kiosk-${kioskId}`);

export class KioskJournal {
  readonly store: DurableStore;
  readonly loads: JournaledMachine<LoadState, LoadRecord>;
  /** What the kiosk must report, written with the states that produce it (runtime/outbox/). */
  readonly outbox: Outbox;
  /** Pending loads (圈存未领) written onto cards at this kiosk. */
  readonly collects: JournaledMachine<CollectState, CollectRecord>;
  /** Fees paid from the purse to a biller (缴费). */
  readonly fees: JournaledMachine<FeeState, FeeRecord>;
  /** The last id handed out, kept in memory so two flows can never be given the same one. */
  #seq = 0;

  constructor(
    path: string,
    private readonly kioskId: string,
    log: Logger = createLogger(),
  ) {
    this.store = new DurableStore(path, { log });
    this.outbox = new Outbox(this.store, log);
    this.loads = new JournaledMachine(this.store, 'txn/load', LOAD_MACHINE, { alongside: reportFinalOutcome(this.outbox, LOAD_MACHINE) });
    this.collects = new JournaledMachine(this.store, 'txn/collect', COLLECT_MACHINE, { alongside: reportFinalOutcome(this.outbox, COLLECT_MACHINE) });
    this.fees = new JournaledMachine(this.store, 'txn/fee', FEE_MACHINE, { alongside: reportFinalOutcome(this.outbox, FEE_MACHINE) });
  }

  async open(): Promise<void> {
    await this.store.open();
    await this.outbox.open();
    this.#seq = (await this.store.get<number>(SEQ_KEY)) ?? 0;
  }

  close(): Promise<void> {
    return this.store.close();
  }

  /**
   * The birth number of this run's first connection (kiosk state `seq`), synced before it is used. Two above the last
   * one saved: the link saves each later number while it reconnects (KioskLink `saveSeq`), and the one it was saving
   * when the process died may not have reached the disk — its will must stay below this run's births.
   */
  async reserveBirthSeq(): Promise<number> {
    const seq = ((await this.store.get<number>(BIRTH_KEY)) ?? -2) + 2;
    await this.saveBirthSeq(seq);
    return seq;
  }

  /**
   * Numbers the next transaction after `seq` (never lower than it is): a re-imaged board's fresh journal continues
   * after the ids the gateway already has from this kiosk id (enrolment's `txnSeqFloor`).
   */
  async continueAfter(seq: number): Promise<void> {
    if (seq <= this.#seq) return;
    await this.store.put(SEQ_KEY, seq);
    this.#seq = seq;
  }

  /** Unfinished records by kind and state, and the outbox depth: no card data. */
  async summary(): Promise<JournalSummary> {
    const [loads, collects, fees, outbox] = await Promise.all([
      this.loads.unfinished(), this.collects.unfinished(), this.fees.unfinished(), this.outbox.pending(),
    ]);
    const open: JournalSummary['open'] = {};
    const tally = (kind: string, records: Array<{ state: string }>) => {
      for (const { state } of records) (open[kind] ??= {})[state] = (open[kind][state] ?? 0) + 1;
    };
    tally('load', loads);
    tally('collect', collects);
    tally('fee', fees);
    return { open, outboxDepth: outbox.length };
  }

  saveBirthSeq(seq: number): Promise<void> {
    return this.store.put(BIRTH_KEY, seq);
  }

  /**
   * A new transaction id and the write that reserves it, to go in the same synced batch as the record it names:
   * one write instead of two, and an id is on disk exactly when its record is.
   */
  nextTxnId(): { id: string; reserve: Op } {
    const seq = ++this.#seq;
    return { id: `${this.kioskId}-${String(seq).padStart(8, '0')}`, reserve: { type: 'put', key: SEQ_KEY, value: seq } };
  }
}
