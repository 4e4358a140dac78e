/** The gateway's durable store as its config says: LevelDB in the data folder, or PostgreSQL (docs/store.md). */
import { join } from 'node:path';
import type { Config } from '../../common/config.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { PgStore } from './pg-store.ts';

/** `standby`: the gateway process itself, which waits for the store as its config says; a command never waits. */
export function gatewayStore(config: Pick<Config, 'store'>, dataDir: string, log: Logger, o: { standby?: boolean; onStandby?: (holder: string) => void } = {}): DurableStore {
  const { store } = config;
  return store.backend === 'postgres'
    ? new PgStore({ url: store.url, poolSize: store.poolSize, log, standby: Boolean(o.standby && store.standby), onStandby: o.onStandby })
    : new LevelStore(join(dataDir, 'gateway'), { log });
}
