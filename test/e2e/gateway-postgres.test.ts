/**
 * The gateway on PostgreSQL (docs/store.md), through the embedded default with a private cluster: a load at the
 * kiosk ends with its final posting, which a finance office reads in SQL while the gateway runs; a second gateway
 * on the same database, or a command on a stopped gateway's store, is refused naming the gateway that holds it; a
 * restarted gateway finds what the first wrote; one configured with a standby watches that one waits. Figures: config/embedded.json (张三's card 10.00, bank 5000.00).
 */
import test from 'ava';
import pg from 'pg';
import type { Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { withStoppedGateway } from '../../gateway/stopped-gateway.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { askUntil, testDatabase } from '../support/postgres.ts';
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

test('a gateway configured with a standby watches that one waits: health degraded and the gauge 0 without it, ok naming it and 1 with it', async (t) => {
  const url = await testDatabase();
  const system = await startTestSystem(t, { edit: (c) => void (c.store = { backend: 'postgres', url, poolSize: 4, standby: true }) });
  const standbyCheck = async () => (await system.gateway.health.check()).checks.standby!;
  const gauge = async () => sampleValue(parsePrometheusText(await system.gateway.metrics.text()), 'quancun_standby_gateways');
  const health = await system.gateway.health.check();
  t.is(health.status, 'degraded');
  t.deepEqual(health.reasons, ['no standby gateway waits for the store: if this one stops, no one takes over']);
  t.is(await gauge(), 0);

  // The second host's gateway, started as the standby: it waits for the store.
  const standby = new Gateway({ loaded: system.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: silentLogger, version: 'standby', dataDir: system.dataDir, standby: true });
  const waiting = standby.store.open().catch((err: Error) => err);
  const seen = await askUntil(standbyCheck, (c) => c.ok);
  t.is(seen.status, 'ok');
  t.regex(seen.detail, new RegExp(`^standby waiting to take over: quancun gateway ${process.pid}@\\S+ \\(from local, since \\d{4}-\\d\\d-\\d\\dT[\\d:.]+Z\\)$`));
  t.is(await gauge(), 1);
  t.is((await system.gateway.health.check()).status, 'ok');

  // It stops waiting (its host shut down): the failover is gone again.
  await standby.store.close();
  t.like(await waiting, { code: 'JOURNAL_UNAVAILABLE' });
  t.like(await askUntil(standbyCheck, (c) => !c.ok), { status: 'degraded' });
  t.is(await gauge(), 0);
});
