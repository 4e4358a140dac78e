/**
 * One reconciliation run for a bank and a day, as `quancun reconcile` does it: reads the bank's file, opens the
 * gateway's journal and ledger (the gateway must not be running: LevelDB allows one process), reads the kiosk
 * journals found in the data folder and the outcomes kiosks reported through their outboxes, reconciles, journals the resolutions, and writes the JSON and CSV reports.
 *
 * Resolutions that talk to the bank (a reversal sent again) use the bank link from the configuration, or the address
 * given (the embedded bank simulator's).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import { bankProfilePath } from '../banks.ts';
import { loadBankProfile } from '../bank/iso8583/profile.ts';
import { Gateway } from '../gateway.ts';
import { bankFileName, parseBankFile } from './bank-file.ts';
import { businessDay, reconcile, type KioskLoadView, type PriorResolution, type Resolver } from './reconcile.ts';
import { formatCsv, summarise, type ReconcileSummary } from './report.ts';

export interface ReconcileRunOptions {
  loaded: LoadedConfig;
  bankId: string;
  /** The business day, yyyy-mm-dd on the campus's calendar (`campus.timeZone`). */
  date: string;
  log: Logger;
  dataDir?: string;
  /** The bank's file; by default `<data>/bank-files/<bank>/<name from the profile>`. */
  file?: string;
  /** Where the JSON and CSV reports go; by default `<data>/reconcile`. */
  outDir?: string;
  /** Where the bank really is, when not where the configuration says. */
  bankAddress?: { host: string; port: number };
}

export interface ReconcileRunResult {
  summary: ReconcileSummary;
  reports: { json: string; csv: string };
}

const priorKey = (bankId: string, date: string, stan?: number) => `recon/${bankId}/${date}/${stan === undefined ? '' : String(stan).padStart(6, '0')}`;

/** Where `quancun sim day` leaves the bank's file and `quancun reconcile` looks for it. */
export function bankFileDir(dataDir: string, bankId: string): string {
  return join(dataDir, 'bank-files', bankId);
}

export async function runReconcile(o: ReconcileRunOptions): Promise<ReconcileRunResult> {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(o.date)) throw new QuancunError('CONFIG_INVALID', `--date must be yyyy-mm-dd, not "${o.date}"`);
  const { config } = o.loaded;
  const bank = config.banks.find((b) => b.id === o.bankId);
  if (!bank) throw new QuancunError('CONFIG_INVALID', `${o.loaded.path}: no bank "${o.bankId}"`, { path: o.loaded.path });
  const dataDir = o.dataDir ?? o.loaded.dataDir;
  const profile = loadBankProfile(bankProfilePath(bank.profile));
  const file = o.file ?? join(bankFileDir(dataDir, bank.id), bankFileName(profile.reconciliation, o.date, bank.terminalId));
  if (!existsSync(file)) throw new QuancunError('RECON_FILE_MISSING', `no reconciliation file from bank ${bank.id} for ${o.date} at ${file}`, { path: file });
  const bankRecords = parseBankFile(profile.reconciliation, readFileSync(file, 'latin1'), file)
    .filter((r) => !r.terminalId || r.terminalId === bank.terminalId);

  const kioskLoads = await readKioskJournals(dataDir, config.kiosks.map((k) => k.id), o.log);

  const stops: Array<() => Promise<unknown>> = [];
  try {
    // Only the journal, ledger, key store and bank link are used: the MQTT endpoint is never started.
    const gateway = new Gateway({
      loaded: o.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: o.log, version: 'reconcile', dataDir,
      ...(o.bankAddress ? { bankAddresses: new Map([[bank.id, o.bankAddress]]) } : {}),
    });
    await gateway.store.open();
    stops.push(() => gateway.store.close());
    const link = gateway.banks.get(bank.id)!.link;
    stops.push(() => link.close(), () => gateway.loads.reversals.stop());

    const loads = (await gateway.loads.loads.all()).filter((l) => l.bankId === bank.id);
    // A kiosk whose journal is not here may have reported its outcomes through its outbox.
    for (const { kioskId, event } of await gateway.reports.all()) {
      if (event.kind !== 'load' || kioskLoads.has(event.txnId)) continue;
      kioskLoads.set(event.txnId, { id: event.txnId, kioskId, state: event.state, ...(event.tac ? { tac: event.tac } : {}) });
    }
    const postings = new Map((await gateway.ledger.postings()).map((p) => [p.txnId, p]));
    const prior = new Map((await gateway.store.list<PriorResolution>(priorKey(bank.id, o.date))).map((e) => [e.value.stan, e.value]));

    const resolver: Resolver = {
      async reverse(load) {
        if (load.state === 'reversing') {
          if (!(await gateway.loads.reversals.owe(load.id))) return null;
          return (await gateway.loads.loads.get(load.id))?.reversalAnswer ?? 'reversed';
        }
        // Journaled as reversed while the bank's file still shows the debit: the same reversal again, applied once.
        if (!link.signedOn) await link.signOn();
        const { bankPan } = await gateway.ledger.accountByAsn(load.asn);
        const { originalFound } = await link.reverse({
          stan: load.stan!, pan: bankPan!, amount: load.amount, terminalId: bank.terminalId, merchantId: bank.merchantId, campusRef: load.id,
        }, load.reversalReason ?? '06');
        return originalFound ? 'reversed' : 'not-found';
      },
      async confirm(load, kiosk) {
        try {
          // The balance and counter the card's TAC must cover are the gateway's own: a TAC over anything else fails.
          await gateway.loads.confirm(load.kioskId, {
            txnId: load.id, tac: kiosk.tac!, newBalance: load.oldBalance + load.amount, onlineCounter: load.onlineCounter,
          });
          return true;
        } catch (err) {
          if (QuancunError.from(err).code === 'CARD_TAC_INVALID') return false;
          throw err;
        }
      },
      async park(load) {
        await gateway.loads.park(load.kioskId, { txnId: load.id });
      },
    };
    const { differences, resolutions } = await reconcile({
      bankRecords, loads, date: o.date, timeZone: config.campus.timeZone, postings, kioskLoads: kioskLoads.size ? kioskLoads : null, prior,
    }, resolver);
    if (resolutions.length) {
      await gateway.store.batch(resolutions.map((r) => ({ type: 'put' as const, key: priorKey(bank.id, o.date, r.stan), value: r })));
    }
    const campusLoads = loads.filter((l) => l.stan !== undefined && businessDay(l, config.campus.timeZone) === o.date).length;
    const summary = summarise(bank.id, o.date, { bankLines: bankRecords.length, campusLoads }, differences);
    return { summary, reports: writeReports(o.outDir ?? join(dataDir, 'reconcile'), summary) };
  } finally {
    for (const stop of stops.reverse()) await stop().catch((err) => o.log.warn('reconcile: stop failed', { error: err as Error }));
  }
}

/**
 * Every kiosk journal in the data folder (a gateway host may have none). One that cannot be opened (its kiosk is
 * running) is left out with a warning: that kiosk's reported outcomes stand in for it.
 */
async function readKioskJournals(dataDir: string, kioskIds: string[], log: Logger): Promise<Map<string, KioskLoadView>> {
  const found = kioskIds.filter((id) => existsSync(join(dataDir, `kiosk-${id}`)));
  const views = new Map<string, KioskLoadView>();
  for (const id of found) {
    const journal = new KioskJournal(join(dataDir, `kiosk-${id}`), id);
    try {
      await journal.store.open();
    } catch (err) {
      log.warn('kiosk journal not readable; its reported outcomes are used', { kioskId: id, error: err as Error });
      continue;
    }
    try {
      for (const r of await journal.loads.all()) {
        views.set(r.id, { id: r.id, kioskId: id, state: r.state, ...(r.tac ? { tac: r.tac } : {}) });
      }
    } finally {
      await journal.store.close();
    }
  }
  return views;
}

function writeReports(dir: string, summary: ReconcileSummary): { json: string; csv: string } {
  mkdirSync(dir, { recursive: true });
  const base = join(dir, `${summary.bankId}-${summary.date}`);
  writeFileSync(`${base}.json`, `${JSON.stringify(summary, null, 2)}\n`);
  writeFileSync(`${base}.csv`, formatCsv(summary));
  return { json: `${base}.json`, csv: `${base}.csv` };
}
