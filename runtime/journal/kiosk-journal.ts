/**
 * The kiosk's journal on LevelDB: transaction records (one journaled machine per flow of flows/registry.ts) and the transaction id
 * sequence. Ids are `<kioskId>-<seq>`, the sequence written in the same synced batch as the record an id names, so
 * ids stay unique across restarts and crashes (a crash may skip a number, never repeat one).
 */
import { join } from 'node:path';
import { LevelStore } from '../../common/store/level-store.ts';
import type { Op } from '../../common/store/durable-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { LoadRecord, LoadState } from '../flows/load/load-machine.ts';
import { createLogger, type Logger } from '../../common/log.ts';
import { Outbox } from '../outbox/outbox.ts';
import { reportFinalOutcome } from '../outbox/txn-report.ts';
import type { CollectRecord, CollectState } from '../flows/collect/collect-machine.ts';
import type { FeeRecord, FeeState } from '../flows/fee/fee-machine.ts';
import type { FeeCheckRecord, FeeCheckState } from '../flows/fee-check/fee-check-machine.ts';
import { journalPrefix, type FlowKind, type FlowRecord, type KioskFlow } from '../flows/flow.ts';
import { FLOWS } from '../flows/registry.ts';

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
  readonly store: LevelStore;
  /** What the kiosk must report, written with the states that produce it (runtime/outbox/). */
  readonly outbox: Outbox;
  /** One machine per registered flow, by kind. */
  readonly #machines = new Map<FlowKind, JournaledMachine<string, FlowRecord>>();
  /** The last id handed out, kept in memory so two flows can never be given the same one. */
  #seq = 0;

  constructor(
    path: string,
    private readonly kioskId: string,
    log: Logger = createLogger(),
  ) {
    this.store = new LevelStore(path, { log });
    this.outbox = new Outbox(this.store, log);
    for (const flow of FLOWS) {
      this.#machines.set(flow.kind, new JournaledMachine(this.store, journalPrefix(flow.kind), flow.machine, { alongside: reportFinalOutcome(this.outbox, flow) }));
    }
  }

  /** The journaled machine of a registered flow, typed as its descriptor's records. */
  machine<S extends string, R extends FlowRecord<S>>(flow: KioskFlow<S, R>): JournaledMachine<S, R> {
    return this.#machines.get(flow.kind) as unknown as JournaledMachine<S, R>;
  }

  /** Bank-to-card loads (圈存). */
  get loads(): JournaledMachine<LoadState, LoadRecord> {
    return this.#machines.get('load') as unknown as JournaledMachine<LoadState, LoadRecord>;
  }

  /** Pending loads (圈存未领) written onto cards at this kiosk. */
  get collects(): JournaledMachine<CollectState, CollectRecord> {
    return this.#machines.get('collect') as unknown as JournaledMachine<CollectState, CollectRecord>;
  }

  /** Fees paid from the purse to a biller (缴费). */
  get fees(): JournaledMachine<FeeState, FeeRecord> {
    return this.#machines.get('fee') as unknown as JournaledMachine<FeeState, FeeRecord>;
  }

  /** Fees in doubt decided at a tap of their card here (fee-check). */
  get feeChecks(): JournaledMachine<FeeCheckState, FeeCheckRecord> {
    return this.#machines.get('fee-check') as unknown as JournaledMachine<FeeCheckState, FeeCheckRecord>;
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
    const open: JournalSummary['open'] = {};
    for (const [kind, machine] of this.#machines) {
      for (const { state } of await machine.unfinished()) (open[kind] ??= {})[state] = (open[kind][state] ?? 0) + 1;
    }
    return { open, outboxDepth: (await this.outbox.pending()).length };
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
