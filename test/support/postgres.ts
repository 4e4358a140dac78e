/**
 * A private PostgreSQL cluster per test process (sim/postgres/pg-cluster.ts), started at the first call, and a fresh
 * database per call: the gateway's store on PostgreSQL for the e2e suite's second pass (QUANCUN_TEST_STORE=postgres,
 * scripts/test.sh) and the tests that need the database. Gone with the process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../common/config.ts';
import { startPgCluster, type PgCluster } from '../../sim/postgres/pg-cluster.ts';

let cluster: Promise<PgCluster> | undefined;
let databases = 0;

/** The URL of a new empty database on this process's cluster. */
export async function testDatabase(): Promise<string> {
  cluster ??= (async () => {
    const dir = mkdtempSync(join(tmpdir(), 'quancun-pg-'));
    // After pg-cluster's own exit handler has killed the server (registered first, so run first).
    process.once('exit', () => {
      try {
        rmSync(dir, { recursive: true, force: true });
      } catch {
        // The killed server may still be writing its last files; the folder is in the run's temporary space.
      }
    });
    return startPgCluster(dir);
  })();
  return (await cluster).createDatabase(`test_${process.pid}_${++databases}`);
}

/** Whether this test run puts the gateway's store on PostgreSQL. */
export const storeOnPostgres = process.env.QUANCUN_TEST_STORE === 'postgres';

/** The gateway's store for a config this pass writes: a fresh database on the PostgreSQL pass, else as it was. */
export async function passStore(raw: Pick<Config, 'store'>): Promise<void> {
  if (storeOnPostgres) raw.store = { backend: 'postgres', url: await testDatabase(), poolSize: 10, standby: false };
}

/**
 * Asks the server until its answer is the one wanted: for what PostgreSQL shows with no event to wait for (a session
 * that has started waiting for a lock). Each try is a round trip to the server, not a timer; it gives up after `tries`.
 */
export async function askUntil<T>(ask: () => Promise<T>, wanted: (answer: T) => boolean, tries = 2000): Promise<T> {
  let answer = await ask();
  for (let i = 1; i < tries && !wanted(answer); i++) answer = await ask();
  if (!wanted(answer)) throw new Error(`the server's answer was not the one wanted after ${tries} tries: ${JSON.stringify(answer)}`);
  return answer;
}
