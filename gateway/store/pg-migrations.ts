/**
 * The gateway's PostgreSQL schema, versioned: each migration runs once, in order, with its row in `quancun_migrations`
 * (those an open applies, in one transaction); a gateway refuses a database migrated further than it knows (a newer gateway's).
 *
 * `quancun_entries` holds the durable store's keys and values (the JSON text the LevelDB backend holds, so both read
 * back alike). The views are for people: a finance office queries the campus ledger in SQL (amounts in fen and in
 * yuan, never a card or bank card number), read-only, while the gateway runs.
 */
import type pg from 'pg';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** A view over the entries of one key prefix, its JSON fields as typed columns. */
function entriesView(name: string, prefix: string, columns: string[]): string {
  return `create view ${name} as select ${columns.join(', ')} from quancun_entries e cross join lateral (select e.value::jsonb as j) v `
    + `where e.key >= '${prefix}' and e.key < '${prefix}' || chr(1114111)`;
}

const AMOUNT = [`(v.j->>'amount')::bigint as amount_fen`, `((v.j->>'amount')::numeric / 100)::numeric(14, 2) as amount_yuan`];

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'entries',
    // "C": keys sort by their bytes, as LevelDB's do, so a prefix is a range.
    sql: 'create table quancun_entries (key text collate "C" primary key, value text not null)',
  },
  {
    version: 2,
    name: 'ledger views',
    sql: [
      entriesView('ledger_accounts', 'ledger/account/', [
        `v.j->>'campusAccount' as campus_account`, `v.j->>'name' as name`, `v.j->>'staffNo' as staff_no`, `v.j->>'bankId' as bank_id`,
      ]),
      entriesView('ledger_postings', 'ledger/posting/', [
        `v.j->>'txnId' as txn_id`, `v.j->>'campusAccount' as campus_account`, ...AMOUNT, `v.j->>'status' as status`,
        `coalesce(v.j->>'source', 'bank-load') as source`, `(v.j->>'at')::timestamptz as at`,
      ]),
      entriesView('ledger_transfers', 'ledger/transfer/', [
        `v.j->>'txnId' as txn_id`, `v.j->>'campusAccount' as campus_account`, ...AMOUNT, `v.j->>'from' as from_account`,
        `v.j->>'to' as to_account`, `v.j->>'status' as status`, `v.j->>'undoneBy' as undone_by`, `(v.j->>'at')::timestamptz as at`,
      ]),
    ].join(';\n'),
  },
  {
    version: 3,
    name: 'owner',
    // The store's owner: the gateway holding its lock. Each takeover counts `epoch` up; every write checks it in its
    // own statement, so a gateway that lost the store can no longer write, whatever its connections still do.
    sql: 'create table quancun_owner (id integer primary key check (id = 1), epoch bigint not null, holder text not null, since timestamptz not null);\n'
      + "insert into quancun_owner values (1, 0, '', now())",
  },
  {
    version: 4,
    name: 'shared documents',
    // Documents other processes change beside a running gateway (the CA's registry, the console's users:
    // common/store/shared-json.ts): the gateway, its standby on another host and the CLI share each row.
    sql: 'create table quancun_documents (name text primary key, value text, version bigint not null)',
  },
];

/** Any number, the same in every process: two never migrate at once. */
const MIGRATION_LOCK = 0x7175616e;

/** Every migration not yet applied, in order, all in one transaction (one that fails leaves none); refused when the database is newer. */
export async function migrate(pool: pg.Pool, location: string, log: Logger, known: readonly Migration[] = MIGRATIONS): Promise<void> {
  const client = await pool.connect();
  try {
    await client.query('begin');
    await client.query('select pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query('create table if not exists quancun_migrations (version integer primary key, name text not null, applied_at timestamptz not null default now())');
    const { rows } = await client.query<{ version: number }>('select version from quancun_migrations order by version');
    const applied = new Set(rows.map((r) => r.version));
    const newest = Math.max(0, ...applied);
    if (newest > (known.at(-1)?.version ?? 0)) {
      throw new QuancunError('JOURNAL_UNAVAILABLE', `the database ${location} is at schema version ${newest}, newer than this gateway knows (${known.at(-1)?.version ?? 0}): run the newer gateway`, {
        store: location, version: newest,
      });
    }
    for (const m of known.filter((m) => !applied.has(m.version))) {
      await client.query(m.sql);
      await client.query('insert into quancun_migrations (version, name) values ($1, $2)', [m.version, m.name]);
      log.info('database migrated', { store: location, version: m.version, name: m.name });
    }
    await client.query('commit');
  } catch (err) {
    await client.query('rollback').catch(() => {});
    throw err;
  } finally {
    client.release();
  }
}
