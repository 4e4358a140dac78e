/**
 * Reconciliation (对账) runs on a gateway's own journal, ledger, bank links and reversal queue: inside the running
 * gateway (the console starts them while loads go on), or on a stopped gateway's store opened by `quancun
 * reconcile` (run-reconcile.ts). One run per bank and day at a time; each run is kept (`recon-run/<id>`) with its
 * summary and differences, and the JSON and CSV reports are written to files and can be read back as content.
 *
 * A run reads the bank's file, the gateway's loads of that bank, the ledger's postings, the kiosks' reported outcomes
 * and, from `quancun reconcile` on a stopped system, the kiosk journals in the data folder; applies
 * the automatic resolutions through the load service, one record at a time against the kiosks' own requests; and
 * journals the resolutions per bank, day and STAN. A person resolves what is left open (manual-resolution.ts): the
 * resolution goes into the same per-day journal, so every later run reports it resolved.
 */
import { EventEmitter } from 'node:events';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { BankConnection } from '../banks.ts';
import type { TxnReports } from '../events/txn-reports.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { LoadService } from '../loads/load-service.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { TransferRecord, TransferState } from '../transfers/transfer-machine.ts';
import { bankFileName, parseBankFile } from './bank-file.ts';
import { manualResolutions } from './manual-resolution.ts';
import { expectedInFile, reconcile, type KioskLoadView, type PriorResolution, type Resolver } from './reconcile.ts';
import { formatCsv, summarise, type ReconcileSummary } from './report.ts';

export interface ReconcileServiceOptions {
  loaded: LoadedConfig;
  dataDir: string;
  store: DurableStore;
  loads: LoadService;
  /** The standing transfers of the batch transfer mode, matched beside the loads. */
  transfers: JournaledMachine<TransferState, TransferRecord>;
  ledger: CampusLedger;
  reports: TxnReports;
  banks: Map<string, BankConnection>;
  log: Logger;
}

export interface ReconcileRun {
  /** `<bank>.<date>.<nnn>`: the runs of a bank and day, numbered from 001. */
  id: string;
  bankId: string;
  date: string;
  /** Who started it: a console user, or `quancun reconcile` on a stopped gateway. */
  by: string;
  /** `interrupted`: the gateway stopped during the run (what it resolved before is journaled). */
  state: 'running' | 'finished' | 'failed' | 'interrupted';
  startedAt: string;
  finishedAt: string | null;
  /** The bank's file it read. */
  file: string;
  summary: ReconcileSummary | null;
  /** Where its JSON and CSV reports were written. */
  reports: { json: string; csv: string } | null;
  error: { code: string; message: string } | null;
}

export interface StartRun {
  bankId: string;
  /** yyyy-mm-dd on the campus's calendar (`campus.timeZone`). */
  date: string;
  by: string;
  /** The bank's file; by default `<data>/bank-files/<bank>/<name from the profile>`. */
  file?: string;
  /** Instead of `file`, a file name in `<data>/bank-files/<bank>/` (the console's way: a name, never a path). */
  fileName?: string;
  /** Where the reports go; by default `<data>/reconcile`. */
  outDir?: string;
  /**
   * What the kiosks' own journals say, when the caller could read them (`quancun reconcile` on a stopped system:
   * a running kiosk holds its journal). The outcomes kiosks reported through their outboxes are used besides.
   */
  kioskJournals?: Map<string, KioskLoadView>;
}

export interface Resolve {
  runId: string;
  stan: number;
  /** One of manualResolutions(difference) by id. */
  resolution: string;
  note: string;
  by: string;
}

const RUN_PREFIX = 'recon-run/';
const priorKey = (bankId: string, date: string, stan?: number) => `recon/${bankId}/${date}/${stan === undefined ? '' : String(stan).padStart(6, '0')}`;
const turnKey = (bankId: string, date: string) => `${bankId}/${date}`;

/** Where `quancun sim day` leaves the bank's file and reconciliation looks for it. */
export function bankFileDir(dataDir: string, bankId: string): string {
  return join(dataDir, 'bank-files', bankId);
}

export class ReconcileService extends EventEmitter<{ run: [run: ReconcileRun] }> {
  readonly #o: ReconcileServiceOptions;
  /** The run or resolution under way for each bank and day. */
  readonly #turns = new Map<string, Promise<unknown>>();

  constructor(options: ReconcileServiceOptions) {
    super();
    this.#o = options;
  }

  /**
   * Starts a run and answers once it is journaled as running; `done` settles when it ends (rejecting with what made
   * it fail). A bad bank, date or a missing file is refused before anything is written.
   */
  async start(req: StartRun): Promise<{ run: ReconcileRun; done: Promise<ReconcileRun> }> {
    if (!/^\d{4}-\d{2}-\d{2}$/.test(req.date)) throw new QuancunError('CONFIG_INVALID', `the date must be yyyy-mm-dd, not "${req.date}"`);
    // The gateway's connection to each bank of its config, which holds the bank's profile as loaded at start.
    const bank = this.#o.banks.get(req.bankId);
    if (!bank) throw new QuancunError('CONFIG_INVALID', `${this.#o.loaded.path}: no bank "${req.bankId}"`, { path: this.#o.loaded.path });
    const { profile } = bank.link;
    if (req.fileName !== undefined && basename(req.fileName) !== req.fileName) {
      throw new QuancunError('CONFIG_INVALID', `"${req.fileName}" is not a file name in ${bankFileDir(this.#o.dataDir, bank.id)}`);
    }
    const file = req.file ?? join(bankFileDir(this.#o.dataDir, bank.id), req.fileName ?? bankFileName(profile.reconciliation, req.date, bank.terminalId));
    if (!existsSync(file)) throw new QuancunError('RECON_FILE_MISSING', `no reconciliation file from bank ${bank.id} for ${req.date} at ${file}`, { path: file });
    const key = turnKey(bank.id, req.date);
    if (this.#turns.has(key)) throw new QuancunError('RECON_RUN_CONFLICT', `a reconciliation of ${bank.id} for ${req.date} is under way`, { bankId: bank.id, date: req.date });

    let started!: (run: ReconcileRun) => void;
    const journaled = new Promise<ReconcileRun>((resolve) => (started = resolve));
    const done = this.#turn(key, async () => {
      const n = (await this.#o.store.list(`${RUN_PREFIX}${bank.id}.${req.date}.`)).length + 1;
      let run: ReconcileRun = {
        id: `${bank.id}.${req.date}.${String(n).padStart(3, '0')}`, bankId: bank.id, date: req.date, by: req.by, state: 'running',
        startedAt: new Date().toISOString(), finishedAt: null, file, summary: null, reports: null, error: null,
      };
      await this.#save(run);
      started(run);
      try {
        const summary = await this.#reconcile(run, bank, req.kioskJournals);
        const reports = writeReports(req.outDir ?? join(this.#o.dataDir, 'reconcile'), summary);
        run = { ...run, state: 'finished', finishedAt: new Date().toISOString(), summary, reports };
        await this.#save(run);
        return run;
      } catch (err) {
        const e = QuancunError.from(err);
        this.#o.log.error('reconciliation run failed', { runId: run.id, error: e });
        await this.#save({ ...run, state: 'failed', finishedAt: new Date().toISOString(), error: { code: e.code, message: e.message } })
          .catch(() => {}); // the store closing under a stop: the run stays `running` and the next start marks it interrupted
        throw e;
      }
    });
    // A failure before the run was journaled (the store) is the caller's answer.
    const run = await Promise.race([journaled, done.then(() => journaled)]);
    return { run, done };
  }

  /** The banks a run may be for, and today on the campus's calendar (the day a run is for by default). */
  choices(): { banks: string[]; today: string } {
    const { config } = this.#o.loaded;
    return { banks: config.banks.map((b) => b.id), today: campusTime(new Date(), config.campus.timeZone).date };
  }

  /** Starts a run and waits for its end. */
  async run(req: StartRun): Promise<ReconcileRun> {
    return (await this.start(req)).done;
  }

  /** Every run kept, newest first; or those of one bank and/or day. */
  async runs(filter: { bankId?: string; date?: string } = {}): Promise<ReconcileRun[]> {
    const prefix = filter.bankId ? `${RUN_PREFIX}${filter.bankId}.${filter.date ? `${filter.date}.` : ''}` : RUN_PREFIX;
    const runs = (await this.#o.store.list<ReconcileRun>(prefix)).map((e) => e.value).filter((r) => !filter.date || r.date === filter.date);
    return runs.sort((a, b) => b.startedAt.localeCompare(a.startedAt) || b.id.localeCompare(a.id));
  }

  async get(id: string): Promise<ReconcileRun> {
    const run = await this.#o.store.get<ReconcileRun>(RUN_PREFIX + id);
    if (!run) throw new QuancunError('RECON_RUN_UNKNOWN', `no reconciliation run ${id}`, { runId: id });
    return run;
  }

  /** A run's reports as they stand now (a person's resolutions included). */
  async report(id: string, format: 'json' | 'csv'): Promise<{ filename: string; type: string; body: string }> {
    const run = await this.get(id);
    if (!run.summary) throw new QuancunError('RECON_RUN_STATE', `run ${id} is ${run.state}: it has no report`, { runId: id, state: run.state });
    const filename = `${run.bankId}-${run.date}-${id.split('.').at(-1)}.${format}`;
    return format === 'csv'
      ? { filename, type: 'text/csv; charset=utf-8', body: formatCsv(run.summary) }
      : { filename, type: 'application/json', body: `${JSON.stringify(run.summary, null, 2)}\n` };
  }

  /**
   * A person's resolution of one open difference of the latest run of its bank and day: journaled with the day's
   * resolutions (so later runs report it resolved) and in the run, in one write; the run's report files are
   * written again. Nothing else of the bank and day runs meanwhile.
   */
  async resolve(req: Resolve): Promise<ReconcileRun> {
    const note = req.note.trim();
    const first = await this.get(req.runId);
    return this.#turn(turnKey(first.bankId, first.date), async () => {
      const run = await this.get(req.runId);
      const latest = (await this.runs({ bankId: run.bankId, date: run.date }))[0]!;
      if (run.state !== 'finished' || !run.summary || latest.id !== run.id) {
        throw new QuancunError('RECON_RUN_STATE', `run ${run.id} is ${run.state}${latest.id !== run.id ? `, and ${latest.id} came after it` : ''}: resolve in the latest finished run`, { runId: run.id });
      }
      const index = run.summary.differences.findIndex((d) => d.stan === req.stan);
      const difference = run.summary.differences[index];
      if (!difference) throw new QuancunError('RECON_DIFFERENCE_UNKNOWN', `run ${run.id} has no difference with STAN ${req.stan}`, { runId: run.id, stan: req.stan });
      const offered = manualResolutions(difference);
      if (offered.length === 0) {
        throw new QuancunError('RECON_DIFFERENCE_STATE', `STAN ${req.stan} is ${difference.status} ${difference.class}: nothing for a person to resolve`, { stan: req.stan });
      }
      const chosen = offered.find((r) => r.id === req.resolution);
      if (!chosen || !note) {
        throw new QuancunError('RECON_RESOLUTION_INVALID', chosen ? 'a resolution needs a note' : `"${req.resolution}" is not a resolution of ${difference.class}: ${offered.map((r) => r.id).join(', ')}`);
      }
      const key = priorKey(run.bankId, run.date, req.stan);
      if (await this.#o.store.get(key)) throw new QuancunError('RECON_DIFFERENCE_STATE', `STAN ${req.stan} of ${run.date} is resolved already`, { stan: req.stan });
      const prior: PriorResolution = { stan: req.stan, class: difference.class, action: `${chosen.en}: ${note} (${req.by})`, at: new Date().toISOString(), by: req.by, note };
      const differences = run.summary.differences.map((d, i) => (i === index ? { ...d, status: 'resolved' as const, action: prior.action, resolvedBy: req.by, note } : d));
      const summary = summarise(run.bankId, run.date, run.summary.compared, differences);
      const updated: ReconcileRun = { ...run, summary };
      await this.#o.store.batch([{ type: 'put', key, value: prior }, this.#runOp(updated)]);
      if (run.reports) writeReportFiles(run.reports, summary);
      this.#o.log.info('reconciliation difference resolved by a person', { runId: run.id, stan: req.stan, class: difference.class, resolution: chosen.id, by: req.by });
      this.emit('run', updated);
      return updated;
    });
  }

  /** At start: a run journaled `running` by a process that is gone was interrupted. */
  async recover(): Promise<void> {
    for (const run of await this.runs()) {
      if (run.state === 'running' && !this.#turns.has(turnKey(run.bankId, run.date))) await this.#save({ ...run, state: 'interrupted' });
    }
  }

  /** Waits for the runs and resolutions under way (before the store and bank links close). */
  async stop(): Promise<void> {
    await Promise.all([...this.#turns.values()]);
  }

  #turn<T>(key: string, step: () => Promise<T>): Promise<T> {
    if (this.#turns.has(key)) return Promise.reject(new QuancunError('RECON_RUN_CONFLICT', `a reconciliation of ${key} is under way`));
    const done = step();
    const settled = done.catch(() => {});
    this.#turns.set(key, settled);
    void settled.then(() => this.#turns.delete(key));
    return done;
  }

  #runOp(run: ReconcileRun): Op {
    return { type: 'put', key: RUN_PREFIX + run.id, value: run };
  }

  async #save(run: ReconcileRun): Promise<void> {
    await this.#o.store.batch([this.#runOp(run)]);
    this.emit('run', run);
  }

  async #reconcile(run: ReconcileRun, bank: BankConnection, journals: Map<string, KioskLoadView> | undefined): Promise<ReconcileSummary> {
    const { config } = this.#o.loaded;
    const bankRecords = parseBankFile(bank.link.profile.reconciliation, readFileSync(run.file, 'latin1'), run.file)
      .filter((r) => !r.terminalId || r.terminalId === bank.terminalId);
    const fileWrittenAt = statSync(run.file).mtime;
    const kioskLoads = await this.#kioskLoads(journals);
    const loads = (await this.#o.loads.loads.all()).filter((l) => l.bankId === bank.id);
    const transfers = (await this.#o.transfers.all()).filter((r) => r.bankId === bank.id);
    const postings = new Map((await this.#o.ledger.postings()).map((p) => [p.txnId, p]));
    const prior = new Map((await this.#o.store.list<PriorResolution>(priorKey(bank.id, run.date))).map((e) => [e.value.stan, e.value]));
    const input = {
      bankRecords, loads, transfers, date: run.date, timeZone: config.campus.timeZone, postings, kioskLoads: kioskLoads.size ? kioskLoads : null, prior, fileWrittenAt,
    };
    const { differences, resolutions } = await reconcile(input, this.#resolver());
    if (resolutions.length) {
      await this.#o.store.batch(resolutions.map((r) => ({ type: 'put' as const, key: priorKey(bank.id, run.date, r.stan), value: r })));
    }
    const campusLoads = loads.filter((l) => expectedInFile(l, input)).length;
    return summarise(bank.id, run.date, { bankLines: bankRecords.length, campusLoads }, differences);
  }

  #resolver(): Resolver {
    const { loads } = this.#o;
    return {
      async reverse(load) {
        if (load.state === 'reversing') {
          if (!(await loads.reversals.owe(load.id))) return null;
          return (await loads.loads.get(load.id))?.reversalAnswer ?? 'reversed';
        }
        // Journaled as reversed while the bank's file still shows the debit: the same reversal again, applied once.
        const { originalFound } = await loads.sendReversal(load);
        return originalFound ? 'reversed' : 'not-found';
      },
      async confirm(load, kiosk) {
        try {
          // The balance and counter the card's TAC must cover are the gateway's own: a TAC over anything else fails.
          await loads.confirm(load.kioskId, {
            txnId: load.id, tac: kiosk.tac!, newBalance: load.oldBalance + load.amount, onlineCounter: load.onlineCounter,
          });
          return true;
        } catch (err) {
          if (QuancunError.from(err).code === 'CARD_TAC_INVALID') return false;
          throw err;
        }
      },
      async park(load) {
        await loads.park(load.kioskId, { txnId: load.id });
      },
    };
  }

  /** What the kiosks say of their loads: their journals as the caller read them, then what they reported. */
  async #kioskLoads(journals: Map<string, KioskLoadView> | undefined): Promise<Map<string, KioskLoadView>> {
    const views = new Map(journals);
    for (const { kioskId, event } of await this.#o.reports.all()) {
      if (event.kind !== 'load' || views.has(event.txnId)) continue;
      views.set(event.txnId, { id: event.txnId, kioskId, state: event.state, ...(event.tac ? { tac: event.tac } : {}) });
    }
    return views;
  }
}

function writeReports(dir: string, summary: ReconcileSummary): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${summary.bankId}-${summary.date}`);
  const reports = { json: `${base}.json`, csv: `${base}.csv` };
  writeReportFiles(reports, summary);
  return reports;
}

function writeReportFiles(reports: { json: string; csv: string }, summary: ReconcileSummary): void {
  writeFileSync(reports.json, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(reports.csv, formatCsv(summary));
}
