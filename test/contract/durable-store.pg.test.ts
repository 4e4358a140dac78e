/**
 * The durable store contract on a real PostgreSQL (a private cluster of Debian's postgresql, one per file, a database
 * per test), and what only that backend has: its versioned schema, and the campus ledger as views a finance office
 * queries in SQL while the gateway writes; a standby that takes the store over when its holder's session ends, and
 * the fencing that keeps a gateway whose turn is over from writing.
 */
import test from 'ava';
import pg from 'pg';
import { createLogger, silentLogger } from '../../common/log.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { MIGRATIONS } from '../../gateway/store/pg-migrations.ts';
import { PgStore } from '../../gateway/store/pg-store.ts';
import { startPgCluster, type PgCluster } from '../../sim/postgres/pg-cluster.ts';
import { durableStoreContract } from './durable-store.contract.ts';
import { askUntil } from '../support/postgres.ts';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';

let cluster: PgCluster;
let databases = 0;
test.before(async () => {
  cluster = await startPgCluster(await mkdtemp(join(tmpdir(), 'quancun-pg-')));
});
test.after.always(async () => {
  await cluster?.stop();
  if (cluster) await rm(cluster.dir, { recursive: true, force: true });
});

const freshDatabase = () => cluster.createDatabase(`store_${++databases}`);

durableStoreContract('postgresql', async () => {
  const url = await freshDatabase();
  const at = () => new PgStore({ url, log: silentLogger, poolSize: 4 });
  return {
    store: at(),
    again: at,
    // The server ended as a crash ends it (immediate mode: no checkpoint, crash recovery at the restart): only what
    // was committed, synchronously, is there after.
    async crash(store) {
      await cluster.kill();
      await store.close().catch(() => {});
      await cluster.restart();
    },
    // As with LevelDB's LOCK, the second is told which gateway holds the store.
    heldBy: `quancun gateway ${process.pid}@`,
  };
});

test.serial('a server that cannot be reached is refused with JOURNAL_UNAVAILABLE, and a closed store gives its lock back', async (t) => {
  const nowhere = join(cluster.dir, 'no-server-here');
  const lost = new PgStore({ url: `postgresql://quancun@${encodeURIComponent(nowhere)}/x`, log: silentLogger });
  const err = await t.throwsAsync(lost.open(), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.true(err!.message.includes('no-server-here'), err!.message);

  const url = await freshDatabase();
  const first = new PgStore({ url, log: silentLogger });
  await first.open();
  await first.close();
  const second = new PgStore({ url, log: silentLogger });
  await second.open();
  t.teardown(() => second.close());
  t.truthy(await second.get('meta/durable-store'));
});

test.serial('the schema is migrated once, each version recorded; a database migrated further than the gateway knows is refused', async (t) => {
  const url = await freshDatabase();
  const first = new PgStore({ url, log: silentLogger });
  await first.open();
  await first.put('gw/load/T1', { state: 'completed' });
  await first.close();
  const again = new PgStore({ url, log: silentLogger });
  await again.open();
  t.deepEqual(await again.get('gw/load/T1'), { state: 'completed' });
  await again.close();

  const client = new pg.Client({ connectionString: url });
  await client.connect();
  t.teardown(() => client.end());
  const { rows } = await client.query('select version, name from quancun_migrations order by version');
  t.deepEqual(rows, [{ version: 1, name: 'entries' }, { version: 2, name: 'ledger views' }, { version: 3, name: 'owner' }, { version: 4, name: 'shared documents' }]);

  const older = new PgStore({ url, log: silentLogger, migrations: MIGRATIONS.slice(0, 1) });
  const err = await t.throwsAsync(older.open(), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.regex(err!.message, /schema version 4, newer than this gateway knows \(1\)/);
});

test.serial('the campus ledger in SQL: postings and transfers in fen and yuan, read by another connection while the gateway writes', async (t) => {
  const url = await freshDatabase();
  const store = new PgStore({ url, log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  const ledger = new CampusLedger(store);
  await new BuiltInOneCard(store).seed([{ campusAccount: '2024001', name: '张三', staffNo: '2024001', asn: '31030000002023010001', bankId: 'icbc', bankPan: '6222020200112233445' }]);
  await store.batch([
    ...ledger.postingOps({ txnId: 'K001-00000001', campusAccount: '2024001', amount: 5000, status: 'final' }),
    ...ledger.postingOps({ txnId: 'SUB-0001', campusAccount: '2024001', amount: 1234, status: 'pending', source: 'subsidy' }),
    ledger.transferOp({ txnId: 'K001-00000002', campusAccount: '2024001', amount: 300, from: 'purse', to: 'biller:dorm-power', status: 'final' }),
  ]);

  const finance = new pg.Client({ connectionString: url });
  await finance.connect();
  t.teardown(() => finance.end());
  const postings = await finance.query('select txn_id, campus_account, amount_fen, amount_yuan, status, source from ledger_postings order by txn_id');
  t.deepEqual(postings.rows, [
    { txn_id: 'K001-00000001', campus_account: '2024001', amount_fen: '5000', amount_yuan: '50.00', status: 'final', source: 'bank-load' },
    { txn_id: 'SUB-0001', campus_account: '2024001', amount_fen: '1234', amount_yuan: '12.34', status: 'pending', source: 'subsidy' },
  ]);
  const transfers = await finance.query('select txn_id, amount_yuan, from_account, to_account, status from ledger_transfers');
  t.deepEqual(transfers.rows, [{ txn_id: 'K001-00000002', amount_yuan: '3.00', from_account: 'purse', to_account: 'biller:dorm-power', status: 'final' }]);
  // The accounts' view names the holder and the bound bank, never a card or bank card number.
  const accounts = await finance.query('select * from ledger_accounts');
  t.deepEqual(accounts.rows, [{ campus_account: '2024001', name: '张三', staff_no: '2024001', bank_id: 'icbc' }]);
  t.false(JSON.stringify(accounts.rows).includes('6222020200112233445'));
  // Sums a finance office asks for, in SQL.
  const day = await finance.query(`select status, sum(amount_fen)::int as fen from ledger_postings group by status order by status`);
  t.deepEqual(day.rows, [{ status: 'final', fen: 5000 }, { status: 'pending', fen: 1234 }]);
});

/** The store's advisory lock key: 'quac' in ASCII, as written in pg-store.ts. */
const STORE_LOCK = 0x71756163;

/** A logger whose records a test can wait for. */
function recordingLog() {
  const records: Array<Record<string, unknown>> = [];
  const waiters: Array<{ msg: string; resolve: () => void }> = [];
  const log = createLogger({
    sink: (_line, record) => {
      records.push(record);
      for (const w of waiters.filter((w) => w.msg === record.msg)) w.resolve();
    },
  });
  return { log, records, logged: (msg: string) => new Promise<void>((resolve) => (records.some((r) => r.msg === msg) ? resolve() : waiters.push({ msg, resolve }))) };
}

test.serial('a standby waits while another holds the store and takes it over when that one\'s session ends; the old holder writes nothing more', async (t) => {
  const url = await freshDatabase();
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  const first = new PgStore({ url, log: silentLogger });
  await first.open();
  t.teardown(() => first.close());
  await first.put('gw/load/T1', { state: 'received' });

  const { log, logged } = recordingLog();
  const standby = new PgStore({ url, log, standby: true });
  t.teardown(() => standby.close());
  let opened = false;
  const opening = standby.open().then(() => void (opened = true));
  await logged('standby: another gateway holds the store; waiting to take over');
  t.false(opened);

  // The first gateway dies: its lock's session ends (as when its process is killed and its connections close).
  const lost = first.lost;
  await admin.query("select pg_terminate_backend(pid) from pg_locks where locktype = 'advisory' and granted and objid = $1", [STORE_LOCK]);
  await opening;
  t.true(opened);
  t.regex(await lost, /connection holding the lock was lost/);
  t.deepEqual(await standby.get('gw/load/T1'), { state: 'received' });
  await standby.put('gw/load/T1', { state: 'bank-pending' });
  await t.throwsAsync(first.put('gw/load/T1', { state: 'rejected' }), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.deepEqual(await standby.get('gw/load/T1'), { state: 'bank-pending' });
  const { rows } = await admin.query('select epoch from quancun_owner');
  t.deepEqual(rows, [{ epoch: '2' }], 'the second owner\'s turn');
});

test.serial('standbys() names the gateway waiting to take the store over, and there is none once it took over', async (t) => {
  const url = await freshDatabase();
  const first = new PgStore({ url, log: silentLogger });
  await first.open();
  t.teardown(() => first.close());
  t.deepEqual(await first.standbys(), []);
  const { log, logged } = recordingLog();
  const standby = new PgStore({ url, log, standby: true });
  t.teardown(() => standby.close());
  const opening = standby.open();
  await logged('standby: another gateway holds the store; waiting to take over');
  const [waiting, ...more] = await askUntil(() => first.standbys(), (w) => w.length > 0);
  t.deepEqual(more, []);
  // Both stores are this test process's: one session name. The cluster listens on its Unix socket only.
  t.like(waiting, { session: `quancun gateway ${process.pid}@${hostname()}`, from: 'local' });
  t.true(Date.parse(waiting!.since) <= Date.now());
  await first.close();
  await opening;
  t.deepEqual(await standby.standbys(), []);
});

test.serial('a write of a gateway whose turn is over is refused in the same statement, and writes nothing', async (t) => {
  const url = await freshDatabase();
  const store = new PgStore({ url, log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  await store.put('gw/load/T1', { state: 'approved' });
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  t.teardown(() => admin.end());
  // Another gateway's takeover, as pg-store.ts makes it, while this one still believes it holds the store.
  await admin.query('update quancun_owner set epoch = epoch + 1');
  const lost = store.lost;
  await t.throwsAsync(store.batch([{ type: 'put', key: 'gw/load/T1', value: { state: 'mac2-issued' } }, { type: 'put', key: 'gw/load/T2', value: { state: 'received' } }]),
    { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.is(await lost, 'another gateway took the store over');
  const { rows } = await admin.query("select key, value from quancun_entries where key like 'gw/load/%' order by key");
  t.deepEqual(rows, [{ key: 'gw/load/T1', value: '{"state":"approved"}' }]);
});

test.serial('a checked row another session is writing is waited for, and compared as that session left it', async (t) => {
  const url = await freshDatabase();
  const store = new PgStore({ url, log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  const read = { state: 'approved' };
  await store.put('gw/load/T1', read);
  const other = new pg.Client({ connectionString: url, application_name: 'the other gateway' });
  await other.connect();
  t.teardown(() => other.end());
  const waitingFor = (pid: number) => askUntil(
    () => other.query<{ n: number }>('select count(*)::int as n from pg_locks where not granted and pid <> $1', [pid]).then((r) => r.rows[0]!.n),
    (n) => n > 0,
  );
  const { rows: [me] } = await other.query<{ pid: number }>('select pg_backend_pid() as pid');
  const step = (state: string) => store.batch([
    { type: 'check', key: 'gw/load/T1', value: read }, { type: 'put', key: 'gw/load/T1', value: { state } },
  ]);

  // The other session's step is written while this one's waits for the row: this one is refused.
  await other.query('begin');
  await other.query(`update quancun_entries set value = '{"state":"reversing"}' where key = 'gw/load/T1'`);
  const refused = step('completed');
  await waitingFor(me!.pid);
  await other.query('commit');
  await t.throwsAsync(refused, { code: 'JOURNAL_CONFLICT' } as never);
  t.deepEqual(await store.get('gw/load/T1'), { state: 'reversing' });

  // Its step rolled back instead: the row is as read, and this one is written.
  await other.query(`update quancun_entries set value = '{"state":"approved"}' where key = 'gw/load/T1'`);
  await other.query('begin');
  await other.query(`update quancun_entries set value = '{"state":"reversing"}' where key = 'gw/load/T1'`);
  const written = step('completed');
  await waitingFor(me!.pid);
  await other.query('rollback');
  await written;
  const { rows } = await other.query("select value from quancun_entries where key = 'gw/load/T1'");
  t.deepEqual(rows, [{ value: '{"state":"completed"}' }]);
});

test.serial('a standby stopped while it waits gives up with JOURNAL_UNAVAILABLE, and the holder keeps the store', async (t) => {
  const url = await freshDatabase();
  const first = new PgStore({ url, log: silentLogger });
  await first.open();
  t.teardown(() => first.close());
  const { log, logged } = recordingLog();
  const standby = new PgStore({ url, log, standby: true });
  const opening = standby.open();
  await logged('standby: another gateway holds the store; waiting to take over');
  await standby.close();
  await t.throwsAsync(opening, { code: 'JOURNAL_UNAVAILABLE', message: /standby stopped waiting/ } as never);
  await first.put('gw/load/T9', { state: 'received' });
  t.deepEqual(await first.get('gw/load/T9'), { state: 'received' });
});

test.serial('a gateway started as one on this machine was just killed waits for the dead one\'s session to end, instead of being refused', async (t) => {
  const url = await freshDatabase();
  const migrated = new PgStore({ url, log: silentLogger });
  await migrated.open();
  await migrated.close();
  // A process that has ended, and a session still holding the store under its name: PostgreSQL has not yet seen
  // the killed gateway's socket close.
  const ended = spawn('true');
  const [code] = await once(ended, 'exit');
  t.is(code, 0);
  const lingering = new pg.Client({ connectionString: url, application_name: `quancun gateway ${ended.pid}@${hostname()}` });
  await lingering.connect();
  await lingering.query('select pg_advisory_lock($1)', [STORE_LOCK]);

  const { log, logged } = recordingLog();
  const restarted = new PgStore({ url, log });
  t.teardown(() => restarted.close());
  let opened = false;
  const opening = restarted.open().then(() => void (opened = true));
  await logged('the store is held by a gateway process here that has ended; waiting for its session to end');
  t.false(opened);
  await lingering.end();
  await opening;
  await restarted.put('gw/load/T1', { state: 'received' });
  t.deepEqual(await restarted.get('gw/load/T1'), { state: 'received' });
});
