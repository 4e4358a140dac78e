/**
 * The one-card contract on a direct PostgreSQL link: the sample schema (sim/onecard/onecard-schema.sql) in a database
 * of a private cluster, queried with the default SQL. Then what only this kind has: a campus's own schema read through
 * the config's queries with named parameters, and a query that fails is no answer.
 */
import test, { type ExecutionContext } from 'ava';
import pg from 'pg';
import { silentLogger } from '../../common/log.ts';
import { PgOneCard, type PgOneCardOptions } from '../../gateway/onecard/pg-one-card.ts';
import type { WireStatus } from '../../gateway/onecard/one-card-system.ts';
import { createSampleOneCardDb } from '../../sim/onecard/sample-schema.ts';
import { testDatabase } from '../support/postgres.ts';
import { CONTRACT_ACCOUNTS, externalOneCardContract, ZHANG } from './one-card.contract.ts';

const link = (url: string, over: Partial<PgOneCardOptions> = {}) => new PgOneCard({ url, poolSize: 2, timeoutMs: 5000, queries: {}, log: silentLogger, ...over });

async function sql(t: ExecutionContext, url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  return client;
}

async function rig(t: ExecutionContext) {
  const url = await testDatabase();
  await createSampleOneCardDb(url, CONTRACT_ACCOUNTS);
  const db = await sql(t, url);
  const nowhere = new URL(url);
  nowhere.hostname = encodeURIComponent('/nonexistent/socket/folder');
  return {
    system: link(url),
    applied: async (txnId: string) => (await db.query<{ status: WireStatus }>(
      'select status from onecard_posting_statuses where txn_id = $1 order by applied_at, ctid', [txnId])).rows.map((r) => r.status),
    unreachable: () => link(nowhere.href, { timeoutMs: 1000 }),
  };
}

externalOneCardContract('postgres', rig);

test('postgres: a campus\'s own schema through the config\'s queries, with named parameters', async (t) => {
  const url = await testDatabase();
  const db = await sql(t, url);
  await db.query(`create table card_holders (acct text primary key, card_sn text, holder text, emp_no text, bank text, bank_card text);
    create table ledger_in (id text, acct text, fen bigint, state text, primary key (id, state));
    insert into card_holders values ('2023010001', '31030000002023010001', '张三', 'S2023010001', 'icbc', '6217000010000000018')`);
  const system = link(url, {
    queries: {
      accountByAsn: 'select acct as campus_account, holder as name, emp_no as staff_no, card_sn as asn, bank as bank_id, bank_card as bank_pan from card_holders where card_sn = :asn',
      account: 'select acct as campus_account, holder as name, emp_no as staff_no, card_sn as asn, bank as bank_id, bank_card as bank_pan from card_holders where acct = :campusAccount',
      // A campus's own rule, in one statement: any status once, recorded as it comes ('::text' is a cast, not a parameter).
      post: `with ins as (insert into ledger_in values (:txnId, :campusAccount, :amount, :status) on conflict do nothing returning state)
             select case when exists (select 1 from ins) then 'applied' else 'repeated' end as outcome, :status::text as status`,
    },
  });
  await system.open();
  t.teardown(() => system.close());
  t.deepEqual(await system.accountByAsn(ZHANG.asn), ZHANG);
  const posting = { txnId: 'K001-00000001', campusAccount: ZHANG.campusAccount, amount: 5000, status: 'provisional' as const, at: '2026-11-27T08:30:00.000Z' };
  t.deepEqual(await system.post(posting), posting);
  t.deepEqual(await system.post(posting), posting);
  t.deepEqual((await db.query('select id, acct, fen::int, state from ledger_in')).rows, [{ id: 'K001-00000001', acct: '2023010001', fen: 5000, state: 'provisional' }]);
});

test('postgres: a query the database cannot run (a table not there) is no answer, with the server\'s words and no card number', async (t) => {
  const system = link(await testDatabase());
  await system.open();
  t.teardown(() => system.close());
  const err = await t.throwsAsync(system.accountByAsn(ZHANG.asn), { code: 'ONECARD_UNAVAILABLE' } as never);
  t.is(err!.message, 'the one-card database: accountByAsn failed: relation "onecard_accounts" does not exist');
});
