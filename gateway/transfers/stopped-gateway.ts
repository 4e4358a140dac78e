/**
 * The transfers of a stopped gateway, for `quancun transfer …`: its store, ledger, bank links and transfer service,
 * without the MQTT endpoint. The store is LevelDB and admits one process: while the gateway runs, the open fails
 * with JOURNAL_UNAVAILABLE, said here in the words of what to do.
 */
import { join } from 'node:path';
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { Gateway } from '../gateway.ts';
import { cardholderAccounts } from '../ledger/campus-ledger.ts';
import type { TransferService } from './transfer-service.ts';

export interface StoppedGatewayOptions {
  loaded: LoadedConfig;
  log: Logger;
  dataDir?: string;
  /** Where a bank really is, when not where the configuration says. */
  bankAddresses?: Map<string, { host: string; port: number }>;
}

export async function withStoppedGateway<T>(o: StoppedGatewayOptions, use: (transfers: TransferService) => Promise<T>): Promise<T> {
  const dataDir = o.dataDir ?? o.loaded.dataDir;
  const gateway = new Gateway({
    loaded: o.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: o.log, version: 'transfer', dataDir,
    ...(o.bankAddresses ? { bankAddresses: o.bankAddresses } : {}),
  });
  try {
    await gateway.store.open();
  } catch (err) {
    const e = QuancunError.from(err);
    if (e.code !== 'JOURNAL_UNAVAILABLE') throw e;
    throw new QuancunError('JOURNAL_UNAVAILABLE', `${e.message}. The transfer commands work on a stopped gateway's store (${join(dataDir, 'gateway')}): stop the gateway first; a running gateway sends the orders at transfers.runAt`, e.details, { cause: e });
  }
  try {
    // As a gateway start does: the config's cardholders are on the ledger before an order names one.
    await gateway.ledger.seed(cardholderAccounts(o.loaded.config));
    return await use(gateway.transfers);
  } finally {
    for (const stop of [() => gateway.transfers.stop(), ...[...gateway.banks.values()].map((b) => () => b.link.signOff({ responseMs: 2000 }).finally(() => b.link.close())), () => gateway.store.close()]) {
      await stop().catch((err: unknown) => o.log.warn('transfer: stop failed', { error: err as Error }));
    }
  }
}
