/**
 * A stopped gateway's store, ledger and services for the commands that work on it (`quancun subsidy …`, `quancun
 * transfer …`): no broker is joined and no schedule armed; bank links connect only when a service sends. The store
 * admits one gateway (LevelDB's LOCK, PostgreSQL's advisory lock): while the gateway runs, the open fails with
 * JOURNAL_UNAVAILABLE, said here in the words of what to do.
 */
import type { LoadedConfig } from '../common/config.ts';
import { QuancunError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { Gateway } from './gateway.ts';

export interface StoppedGatewayOptions {
  loaded: LoadedConfig;
  log: Logger;
  /** Names the process in the log and on the bank side's sign-on. */
  version: string;
  dataDir?: string;
}

/** Opens the store and the one-card system (which seeds the config's accounts) as a start does, hands the gateway to `use`, and closes it all after. */
export async function withStoppedGateway<T>(o: StoppedGatewayOptions, use: (gateway: Gateway) => Promise<T>): Promise<T> {
  const dataDir = o.dataDir ?? o.loaded.dataDir;
  const gateway = new Gateway({ loaded: o.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: o.log, version: o.version, dataDir });
  try {
    await gateway.store.open();
  } catch (err) {
    const e = QuancunError.from(err);
    if (e.code !== 'JOURNAL_UNAVAILABLE') throw e;
    throw new QuancunError('JOURNAL_UNAVAILABLE', `the gateway's store ${gateway.store.location} is held by another process (a running gateway?): stop the gateway first and run this again (${e.message})`, e.details, { cause: err });
  }
  try {
    await gateway.oneCard.open();
    return await use(gateway);
  } finally {
    // Every link is closed, connected or not: one waiting to reconnect would keep the process alive.
    const banks = [...gateway.banks.values()].map((b) => () => b.link.signOff({ responseMs: 2000 }).finally(() => b.link.close()));
    for (const stop of [() => gateway.transfers.stop(), ...banks, () => gateway.oneCard.close(), () => gateway.store.close()]) {
      await stop().catch((err: unknown) => o.log.warn('stopping the stopped gateway\'s parts failed', { error: err as Error }));
    }
  }
}
