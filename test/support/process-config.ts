/**
 * The system as separate `quancun` processes (sim bank, gateway, kiosk): the embedded default written as a file with
 * a data dir in the test's folder and the gateway's broker and the bank simulator on free loopback ports, and the
 * processes started from it, killed last-started first when the test ends.
 */
import type { ExecutionContext } from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Config } from '../../common/config.ts';
import { kill, spawnNode, type Proc } from '../../sim/chaos/processes.ts';
import { freePort } from '../../sim/network/free-port.ts';
import { EMBEDDED_CONFIG } from './kiosk-system.ts';
import { passStore } from './postgres.ts';
import { tempDir } from './temp-dir.ts';

export interface ProcessSystem {
  /** The test's folder; the config file is in it, the data dir under it. */
  dir: string;
  config: Config;
  configPath: string;
  /** `node <args>` with env added, killed at the end of the test. */
  spawn(args: string[], env?: NodeJS.ProcessEnv): Proc;
}

/** `edit` changes the config before it is written; on the PostgreSQL pass the gateway's store is a fresh database. */
export async function processSystem(t: ExecutionContext, edit: (config: Config) => void | Promise<void> = () => {}): Promise<ProcessSystem> {
  const dir = await tempDir(t);
  const config = JSON.parse(await readFile(EMBEDDED_CONFIG, 'utf8')) as Config;
  config.dataDir = join(dir, 'data');
  config.mqtt = { ...config.mqtt, url: 'embedded', embeddedPort: await freePort() };
  config.banks[0]!.port = await freePort();
  await passStore(config);
  await edit(config);
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));
  const started: Proc[] = [];
  t.teardown(async () => {
    for (const p of started.reverse()) await kill(p.child);
  });
  return {
    dir, config, configPath,
    spawn: (args, env) => {
      const p = spawnNode(args, env);
      started.push(p);
      return p;
    },
  };
}
