/**
 * `quancun reconcile` on a stopped gateway: opens the gateway's store (LevelDB allows one process, so only while no
 * gateway runs) and the kiosk journals found in the data folder, and runs the gateway's own reconciliation service
 * (reconcile-service.ts) on them: the same run a running gateway makes when the console or the CLI asks it.
 *
 * Resolutions that talk to the bank (a reversal sent again) use the bank link from the configuration, or the address
 * given (the embedded bank simulator's).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import { Gateway } from '../gateway.ts';
import { gatewayStore } from '../store/gateway-store.ts';
import type { KioskLoadView } from './reconcile.ts';
import type { ReconcileRun } from './reconcile-service.ts';

export { bankFileDir } from './reconcile-service.ts';

/** Whether a gateway (another process) holds the gateway's store: then it runs, and reconciles itself. */
export async function gatewayRuns(loaded: LoadedConfig, dataDir: string, log: Logger): Promise<boolean> {
  const leveldb = loaded.config.store.backend === 'leveldb';
  // A LevelDB folder no gateway ever opened is not made here.
  if (leveldb && !existsSync(join(dataDir, 'gateway', 'LOCK'))) return false;
  const store = gatewayStore(loaded.config, dataDir, log);
  try {
    await store.open();
  } catch (err) {
    const e = QuancunError.from(err);
    // PostgreSQL's refusal names the holder; one without it is a database out of reach, said as it is.
    if (e.code === 'JOURNAL_UNAVAILABLE' && (leveldb || e.details.holder !== undefined)) return true;
    throw err;
  }
  await store.close();
  return false;
}

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

export async function runReconcile(o: ReconcileRunOptions): Promise<ReconcileRun> {
  const dataDir = o.dataDir ?? o.loaded.dataDir;
  const kioskJournals = await readKioskJournals(dataDir, o.loaded.config.kiosks.map((k) => k.id), o.log);
  // Only the journal, ledger, key store and bank link are used: the MQTT endpoint is never started.
  const gateway = new Gateway({
    loaded: o.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: o.log, version: 'reconcile', dataDir,
    ...(o.bankAddress ? { bankAddresses: new Map([[o.bankId, o.bankAddress]]) } : {}),
  });
  await gateway.store.open();
  try {
    await gateway.reconcile.recover();
    return await gateway.reconcile.run({
      bankId: o.bankId, date: o.date, by: 'quancun reconcile', kioskJournals,
      ...(o.file ? { file: o.file } : {}), ...(o.outDir ? { outDir: o.outDir } : {}),
    });
  } finally {
    for (const stop of [() => gateway.loads.reversals.stop(), ...[...gateway.banks.values()].map((b) => () => b.link.close()), () => gateway.store.close()]) {
      await stop().catch((err) => o.log.warn('reconcile: stop failed', { error: err as Error }));
    }
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
