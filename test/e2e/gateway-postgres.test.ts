/**
 * The gateway on PostgreSQL (docs/store.md), through the embedded default with a private cluster: a load at the
 * kiosk ends with its final posting, which a finance office reads in SQL while the gateway runs; a second gateway
 * on the same database, or a command on a stopped gateway's store, is refused naming the gateway that holds it; a
 * restarted gateway finds what the first wrote. Figures: config/embedded.json (张三's card 10.00, bank 5000.00).
 */
import test from 'ava';
import pg from 'pg';
import type { Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { withStoppedGateway } from '../../gateway/stopped-gateway.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { testDatabase } from '../support/postgres.ts';
import { ZHANG } from '../support/torn-load.ts';

test('a load with the gateway on PostgreSQL: the final posting read in SQL while the gateway runs; the store held by that gateway alone', async (t) => {
  const url = await testDatabase();
  const onPostgres = (c: Config) => void (c.store = { backend: 'postgres', url, poolSize: 10, standby: false });
  const system = await startTestSystem(t, { edit: onPostgres });
  const outcome = await loadAt(system, 'K001', ZHANG, 5000);
  t.like(outcome, { state: 'completed', cardAfter: 6000 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);

  const finance = new pg.Client({ connectionString: url });
  await finance.connect();
  t.teardown(() => finance.end());
  const { rows } = await finance.query('select txn_id, campus_account, amount_yuan, status, source from ledger_postings');
  t.deepEqual(rows, [{ txn_id: outcome.txnId, campus_account: '2023010001', amount_yuan: '50.00', status: 'final', source: 'bank-load' }]);

  // One gateway writes a store: a second one, or a command that opens the stopped gateway's store, is told who holds it.
  const second = new Gateway({ loaded: system.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: silentLogger, version: 'second', dataDir: system.dataDir });
  const held = await t.throwsAsync(second.store.open(), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.regex(held!.message, new RegExp(`held by quancun gateway ${process.pid}@`));
  const command = await t.throwsAsync(withStoppedGateway({ loaded: system.loaded, log: silentLogger, version: 'subsidy' }, async () => undefined), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.regex(command!.message, /held by another process \(a running gateway\?\): stop the gateway first/);

  // Stopped, the store is the next gateway's, with the load in it.
  await system.stop();
  const after = new Gateway({ loaded: system.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: silentLogger, version: 'after', dataDir: system.dataDir });
  await after.store.open();
  t.teardown(() => after.store.close());
  t.like(await after.loads.loads.require(outcome.txnId), { state: 'completed' });
  t.like(await after.ledger.posting(outcome.txnId), { status: 'final', amount: 5000 });
});
