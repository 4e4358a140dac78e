/** The one-card system the config names (`oneCard`, docs/onecard.md): the built-in one by default. */
import type { LoadedConfig } from '../../common/config.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { BuiltInOneCard, cardholderAccounts } from './built-in-one-card.ts';
import { HttpOneCard } from './http-one-card.ts';
import type { OneCardSystem } from './one-card-system.ts';
import { PgOneCard } from './pg-one-card.ts';

export function oneCardFromConfig(loaded: LoadedConfig, store: DurableStore, log: Logger): OneCardSystem {
  const settings = loaded.config.oneCard;
  switch (settings.kind) {
    case 'built-in':
      return new BuiltInOneCard(store, cardholderAccounts(loaded.config));
    case 'postgres':
      return new PgOneCard({ url: settings.url, poolSize: settings.poolSize, timeoutMs: settings.timeoutMs, queries: settings.queries, log });
    case 'http':
      return new HttpOneCard({
        url: settings.url, timeoutMs: settings.timeoutMs,
        ...(settings.tokenFile ? { tokenFile: { configPath: loaded.path, file: settings.tokenFile } } : {}),
      });
  }
}
