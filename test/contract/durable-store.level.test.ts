/** The durable store contract on LevelDB, on disk (the kiosk journal's backend, and the gateway's embedded default). */
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { tempDir } from '../support/temp-dir.ts';
import { durableStoreContract } from './durable-store.contract.ts';

durableStoreContract('leveldb', async (t) => {
  const path = join(await tempDir(t), 'store');
  const at = () => new LevelStore(path, { log: silentLogger });
  return {
    store: at(),
    again: at,
    // In this process the hardest end is a close: each write was synced (LevelDB's sync option) before it resolved.
    crash: (store) => store.close(),
    // LevelDB's LOCK: a second open of a store in use (another gateway on the same dataDir) is refused, naming the folder.
    heldBy: path,
  };
});
