/**
 * End-of-day settlement (结算) per bank: the batch is closed and its totals sent (0500); when the bank's own totals
 * differ it answers "not balanced" and every transfer of the batch is uploaded (0320). The batch number (60.2 of
 * every message) rolls when a batch is closed.
 *
 * Journaled like a load: `closing` (with the totals, the transfers counted and the next batch number, in one synced
 * write) before the 0500 goes out, `uploading` before the first 0320. A restart resumes both; the bank treats a
 * repeated 0500 or 0320 for the same batch as the same one.
 *
 * A batch holds the loads whose transfer was journaled (bank-pending) between its opening and its closing and that
 * the bank approved and nobody reversed. A transfer in flight at the cut-off may be counted by the bank in the
 * closing batch and here in none: that is what "not balanced" and the batch upload are for, and reconciliation
 * (by STAN, not by batch) settles it for good.
 */
import { backoffDelay } from '../../common/backoff.ts';
import { EventEmitter } from 'node:events';
import { nextTimeOfDay } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import { KeyedQueue } from '../../common/keyed-queue.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { JournaledMachine, type JournalRecord, type MachineSpec } from '../../common/store/journaled-machine.ts';
import type { BankConnection } from '../banks.ts';
import type { BatchItem, BatchTotals } from '../bank/bank-link.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../loads/gateway-load-machine.ts';

export type SettlementState = 'closing' | 'balanced' | 'uploading' | 'uploaded';

export const SETTLEMENT_MACHINE: MachineSpec<SettlementState> = {
  name: 'settlement',
  transitions: { closing: ['balanced', 'uploading'], uploading: ['uploaded'], balanced: [], uploaded: [] },
};

export interface SettlementRecord extends JournalRecord<SettlementState> {
  bankId: string;
  batch: number;
  openedAt: string;
  closedAt: string;
  totals: BatchTotals;
  /** The loads counted, by transaction id. */
  txnIds: string[];
}

/** The open batch of one bank. */
interface OpenBatch {
  batch: number;
  openedAt: string;
}

export interface SettlementServiceOptions {
  store: DurableStore;
  /** The gateway's load journal: read only. */
  loads: { all(): Promise<GatewayLoadRecord[]> };
  ledger: CampusLedger;
  banks: Map<string, BankConnection>;
  log: Logger;
  /** The campus's IANA time zone: a profile's `settleAt` is on its wall clock. */
  timeZone: string;
  now?: () => Date;
  /** Wait before a settlement that failed is tried again, doubled after each failure up to `maxMs` (default 1 min to 30 min). */
  finishRetry?: { minMs: number; maxMs: number };
}

const batchKey = (bankId: string) => `settle/open/${bankId}`;
const nextBatch = (batch: number) => (batch % 999999) + 1;
/** States in which a reversal is owed or done: the bank's debit does not stand (or may not). */
const UNDONE = new Set<GatewayLoadState>(['reversing', 'reversed']);

export class SettlementService extends EventEmitter<{ settled: [record: SettlementRecord] }> {
  readonly records: JournaledMachine<SettlementState, SettlementRecord>;
  readonly #o: SettlementServiceOptions;
  readonly #now: () => Date;
  /** One settlement run per bank at a time: a closing, or the finishing of those left unfinished. */
  readonly #turns = new KeyedQueue();
  /** The closing asked for and not yet ended, per bank: a second `settle` gets it. */
  readonly #settling = new Map<string, Promise<SettlementRecord>>();
  readonly #timers = new Map<string, NodeJS.Timeout>();
  /** A bank's unfinished settlements, tried again after a failure. */
  readonly #retries = new Map<string, NodeJS.Timeout>();
  readonly #retry: { minMs: number; maxMs: number };

  #scheduled = false;
  #stopped = false;

  constructor(options: SettlementServiceOptions) {
    super();
    this.#o = options;
    this.records = new JournaledMachine(options.store, 'gw/settle', SETTLEMENT_MACHINE);
    this.#now = options.now ?? (() => new Date());
    this.#retry = options.finishRetry ?? { minMs: 60_000, maxMs: 30 * 60_000 };
  }

  /** Gives each bank link its open batch number; first start: batch 1, open from now. Before the first sign-on. */
  async restoreBatches(): Promise<void> {
    for (const bank of this.#o.banks.values()) bank.link.setBatch((await this.#open(bank.id)).batch);
  }

  /**
   * Finishes settlements a restart interrupted. One the bank does not answer now is tried again later, and again,
   * until it is finished or the service stops: a gateway that runs for weeks does not leave it for its next start.
   */
  async recover(): Promise<void> {
    this.#stopped = false;
    const banks = new Set((await this.records.unfinished()).map((r) => r.bankId));
    for (const bankId of banks) await this.#finishUnfinished(bankId, 0);
  }

  /** Settles each bank whose profile names a `session.settleAt`, every day at that campus time, until stopped. */
  startSchedule(): void {
    this.#scheduled = true;
    for (const bank of this.#o.banks.values()) {
      const at = bank.link.profile.session.settleAt;
      if (!at) continue;
      const arm = () => {
        if (!this.#scheduled) return;
        const timer = setTimeout(() => {
          this.settle(bank.id).catch(() => {}).finally(arm);
        }, msUntil(at, this.#now(), this.#o.timeZone));
        timer.unref();
        this.#timers.set(bank.id, timer);
      };
      arm();
    }
  }

  /** Stops the schedule and the tries again of unfinished settlements (a settlement under way finishes). */
  stopSchedule(): void {
    this.#scheduled = false;
    this.#stopped = true;
    for (const t of [...this.#timers.values(), ...this.#retries.values()]) clearTimeout(t);
    this.#timers.clear();
    this.#retries.clear();
  }

  /**
   * Closes the bank's open batch and settles it with the bank. A failure rejects and is logged; once the batch was
   * closed (journaled `closing`), its settlement is tried again later until the bank takes it.
   */
  settle(bankId: string): Promise<SettlementRecord> {
    const asked = this.#settling.get(bankId);
    if (asked) return asked;
    const settled = this.#turns.run(bankId, () => this.#settle(bankId)).finally(() => this.#settling.delete(bankId));
    this.#settling.set(bankId, settled);
    settled.catch((err: unknown) => {
      this.#o.log.error('settlement failed; a closed batch is tried again later', { bank: bankId, error: err as Error });
      this.#finishLater(bankId, 1);
    });
    return settled;
  }

  /** Finishes the bank's unfinished settlements, oldest first; on a failure, tries again after the backoff of `failures + 1`. */
  async #finishUnfinished(bankId: string, failures: number): Promise<void> {
    try {
      await this.#turns.run(bankId, async () => {
        for (const r of (await this.records.unfinished()).filter((u) => u.bankId === bankId)) await this.#finish(r);
      });
    } catch (err) {
      this.#o.log.warn('settlement not finished yet; tried again later', { bank: bankId, nextInMs: backoffDelay(this.#retry, failures + 1), error: err as Error });
      this.#finishLater(bankId, failures + 1);
    }
  }

  #finishLater(bankId: string, failures: number): void {
    if (this.#stopped || this.#retries.has(bankId)) return;
    const timer = setTimeout(() => {
      this.#retries.delete(bankId);
      void this.#finishUnfinished(bankId, failures);
    }, backoffDelay(this.#retry, failures));
    timer.unref();
    this.#retries.set(bankId, timer);
  }

  async #settle(bankId: string): Promise<SettlementRecord> {
    const bank = this.#bank(bankId);
    const open = await this.#open(bankId);
    const closedAt = this.#now().toISOString();
    const counted = (await this.#o.loads.all()).filter((l) => l.bankId === bankId && l.bankRef !== undefined && !UNDONE.has(l.state)
      && inWindow(sentAt(l), open.openedAt, closedAt));
    const totals: BatchTotals = {
      debitAmount: counted.reduce((sum, l) => sum + l.amount, 0), debitCount: counted.length, creditAmount: 0, creditCount: 0,
    };
    const next: OpenBatch = { batch: nextBatch(open.batch), openedAt: closedAt };
    const record = await this.records.create(
      { id: `${bankId}-${String(open.batch).padStart(6, '0')}`, state: 'closing', bankId, batch: open.batch, openedAt: open.openedAt, closedAt,
        totals, txnIds: counted.map((l) => l.id) },
      [{ type: 'put', key: batchKey(bankId), value: next }],
    );
    bank.link.setBatch(next.batch);
    this.#o.log.info('batch closed', { bank: bankId, batch: open.batch, ...totals });
    return this.#finish(record);
  }

  async #finish(record: SettlementRecord): Promise<SettlementRecord> {
    const { link } = this.#bank(record.bankId);
    if (record.state === 'closing') {
      const { balanced } = await link.settle(record.batch, record.totals);
      record = await this.records.advance(record, balanced ? 'balanced' : 'uploading');
      this.#o.log.info(balanced ? 'batch balanced' : 'batch not balanced: uploading it', { bank: record.bankId, batch: record.batch });
    }
    if (record.state === 'uploading') {
      for (const item of await this.#items(record)) await link.uploadBatchItem(record.batch, item);
      record = await this.records.advance(record, 'uploaded');
    }
    this.emit('settled', record);
    return record;
  }

  async #items(record: SettlementRecord): Promise<BatchItem[]> {
    const loads = new Map((await this.#o.loads.all()).map((l) => [l.id, l]));
    const items: BatchItem[] = [];
    for (const id of record.txnIds) {
      const load = loads.get(id)!;
      const { bankPan } = await this.#o.ledger.accountByAsn(load.asn);
      if (!bankPan || load.stan === undefined) throw new QuancunError('INTERNAL', `load ${id} lacks its bank details`);
      items.push({ stan: load.stan, pan: bankPan, amount: load.amount, bankRef: load.bankRef! });
    }
    return items;
  }

  async #open(bankId: string): Promise<OpenBatch> {
    const saved = await this.#o.store.get<OpenBatch>(batchKey(bankId));
    if (saved) return saved;
    const first = { batch: 1, openedAt: new Date(0).toISOString() };
    await this.#o.store.put(batchKey(bankId), first);
    return first;
  }

  #bank(bankId: string): BankConnection {
    const bank = this.#o.banks.get(bankId);
    if (!bank) throw new QuancunError('CONFIG_INVALID', `no bank "${bankId}" in the configuration`, { bankId });
    return bank;
  }
}

/** When the transfer was journaled as possibly sent. */
function sentAt(load: GatewayLoadRecord): string {
  return load.history.find((h) => h.state === 'bank-pending')?.at ?? load.updatedAt;
}

const inWindow = (at: string, from: string, to: string) => at >= from && at < to;

/** Milliseconds from `now` to the next `HH:MM` in `timeZone` strictly after it (tomorrow's when today's has passed). */
export function msUntil(at: string, now: Date, timeZone: string): number {
  return nextTimeOfDay(at, now, timeZone).getTime() - now.getTime();
}
