/**
 * The PostgreSQL backend of the durable store (common/store/durable-store.ts): the gateway in a data centre, beside
 * the campus's database. Each write is one transaction, committed with `synchronous_commit` on (the commit is on the
 * server's disk before it resolves); a batch is one statement, so one transaction. Unlike LevelDB, other processes
 * read it while the gateway runs: a finance office through the ledger's views (pg-migrations.ts), monitoring.
 *
 * One gateway writes it at a time, as with LevelDB's LOCK: the store holds a session advisory lock on a connection of
 * its own while open, and a second gateway (or a command on a stopped gateway's store) is refused JOURNAL_UNAVAILABLE
 * naming the holder — or, started as a standby, waits and takes the store over when the holder stops or dies. Each
 * owner has its turn (quancun_owner.epoch, counted up at every takeover) and every write checks it in the same
 * statement: a gateway that lost its lock (its connection dropped, another took over) writes nothing more, and says
 * so (`lost`) so that it stops.
 *
 * The statements a load repeats (get, batch, list) are named, so each connection parses and plans them once, and
 * since only the owner writes, what it reads is kept in memory until it writes it again (common/store/read-cache.ts).
 */
import { hostname } from 'node:os';
import pg from 'pg';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import {
  conflict, countedWrite, keyWindow, markIfNew, parsed, rawBatch, type DurableStore, type Entry, type ListRange, type Op, type RawBatch, type RawEntries,
} from '../../common/store/durable-store.ts';
import { ReadCache } from '../../common/store/read-cache.ts';
import { migrate, type Migration } from './pg-migrations.ts';

export interface PgStoreOptions {
  /** postgresql://user@host:port/database (a password from PGPASSWORD or ~/.pgpass rather than the URL). */
  url: string;
  /** Connections kept open (default 10). */
  poolSize?: number;
  log: Logger;
  /** The schema's migrations; a test gives fewer or more to see the refusal of a newer database. */
  migrations?: readonly Migration[];
  /**
   * A standby: while another gateway holds the store, open() waits and takes it over when that one stops or dies,
   * instead of refusing JOURNAL_UNAVAILABLE.
   */
  standby?: boolean;
  /** A standby's notice that it waits, naming the holder: a service manager is told the process is up, as the standby. */
  onStandby?: (holder: string) => void;
}

/**
 * This gateway process as PostgreSQL sessions name it (application_name), and as the store's owner row does: what a
 * second gateway is told holds the store, and what a database administrator sees.
 */
export const GATEWAY_SESSION = sessionName(process.pid);

/** PostgreSQL keeps 63 bytes of an application_name (a host name is ASCII). */
function sessionName(pid: number): string {
  return `quancun gateway ${pid}@${hostname()}`.slice(0, 63);
}

/** How long a gateway waits for the session of one that ended on this machine to end too. */
const DEAD_HOLDER_WAIT_MS = 10_000;

/** The holder is a gateway process of this machine that no longer runs (its pid is gone). */
function endedHere(holder: string): boolean {
  const pid = Number(/^quancun gateway (\d+)@/.exec(holder)?.[1]);
  if (!pid || holder !== sessionName(pid)) return false;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** Any number, the same in every gateway: one holds the store. */
const STORE_LOCK = 0x71756163;

/** A gateway waiting for the store's lock: the one that takes the store over if its holder stops or dies. */
export interface WaitingGateway {
  /** Its session's name: `quancun gateway <pid>@<host>`. */
  session: string;
  /** The address it connects from; `local` over the server's Unix socket. */
  from: string;
  /** When it started waiting. */
  since: string;
}

/** The sessions holding (granted) or waiting for STORE_LOCK in this database, longest first, as pg_locks shows them. */
async function lockSessions(db: pg.Pool | pg.PoolClient, granted: boolean): Promise<WaitingGateway[]> {
  const { rows } = await db.query<{ session: string; from: string | null; since: Date | null }>(
    `select a.application_name as session, host(a.client_addr) as from, a.query_start as since from pg_locks l join pg_stat_activity a using (pid)
     where l.locktype = 'advisory' and l.granted = $2 and l.objid::bigint = $1 and l.database = (select oid from pg_database where datname = current_database())
     order by a.query_start`,
    [STORE_LOCK, granted],
  );
  return rows.map((r) => ({ session: r.session || 'another process', from: r.from ?? 'local', since: (r.since ?? new Date()).toISOString() }));
}

export class PgStore implements DurableStore {
  readonly location: string;
  syncedWrites = 0;
  syncedWriteMs = 0;
  /** Resolves once this store can no longer write (its lock's connection dropped, or another gateway took it over). */
  readonly lost: Promise<string>;
  #loseWith!: (reason: string) => void;
  #pool: pg.Pool | undefined;
  /** The connection holding STORE_LOCK; gone with it is the right to write. */
  #holder: pg.PoolClient | undefined;
  /** A standby's connection waiting for STORE_LOCK: closed by close(), which ends the wait. */
  #waiting: pg.PoolClient | undefined;
  /** This gateway's turn as owner (quancun_owner.epoch): every write checks it is still the current one. */
  #epoch = 0;
  #lockLost = false;
  /** Reads kept while this gateway is the only writer; cleared at every open and close. */
  readonly #reads = new ReadCache();

  constructor(private readonly o: PgStoreOptions) {
    this.location = withoutPassword(o.url);
    this.lost = new Promise((resolve) => (this.#loseWith = resolve));
  }

  async open(): Promise<void> {
    this.#reads.clear();
    // Whatever the server's default, this store's sessions wait for each commit to be on disk.
    const pool = new pg.Pool({
      connectionString: this.o.url, max: (this.o.poolSize ?? 10) + 1, options: '-c synchronous_commit=on',
      application_name: GATEWAY_SESSION,
    });
    // An idle connection the server closed (a restart, an operator's kill) must not end the process: the next query
    // takes another.
    pool.on('error', (err) => this.o.log.warn('PostgreSQL connection lost', { store: this.location, error: err }));
    try {
      const fsync = await pool.query<{ fsync: string }>('show fsync');
      if (fsync.rows[0]?.fsync !== 'on') {
        this.o.log.error('PostgreSQL runs with fsync off: a commit may not survive a power loss', { store: this.location });
      }
      await migrate(pool, this.location, this.o.log, this.o.migrations);
      this.#holder = await this.#lock(pool);
      this.#epoch = await this.#takeOver(this.#holder);
    } catch (err) {
      await pool.end().catch(() => {});
      throw QuancunError.from(err).code === 'JOURNAL_UNAVAILABLE' ? err : unavailable(this.location, err);
    }
    this.#pool = pool;
    await markIfNew(this);
  }

  async close(): Promise<void> {
    // A standby still waiting: its wait ends with its connection.
    this.#waiting?.release(true);
    this.#waiting = undefined;
    const pool = this.#pool;
    this.#pool = undefined;
    this.#reads.clear();
    // Ending the session gives the lock back.
    this.#holder?.release(true);
    this.#holder = undefined;
    await pool?.end();
  }

  async get<T>(key: string): Promise<T | undefined> {
    const db = this.#db();
    const raw = await this.#reads.get(key, async () => {
      const { rows } = await db.query<{ value: string }>({ name: 'quancun-get', text: 'select value from quancun_entries where key = $1', values: [key] })
        .catch(this.#refused);
      return rows[0]?.value ?? null;
    });
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  put(key: string, value: unknown): Promise<void> {
    return this.batch([{ type: 'put', key, value }]);
  }

  touch(): Promise<void> {
    return this.put('meta/heartbeat', Date.now());
  }

  /**
   * One transaction. Not grouped as LevelDB's batches are (group-commit.ts): the server overlaps concurrent
   * transactions and groups their WAL flushes itself, and in the fleet benchmark one grouped transaction at a time
   * (or four) sustained fewer loads than a transaction per batch.
   */
  async batch(ops: Op[]): Promise<void> {
    if (ops.length === 0) return;
    const raw = rawBatch(ops);
    await this.#reads.write(raw.writes.map(([key]) => key), () => this.#commit(raw));
  }

  async #commit({ writes, checks }: RawBatch): Promise<void> {
    // In order, the last op on a key wins: what is left is disjoint keys to delete and to write, in one statement.
    const last = new Map<string, string | null>(writes);
    const gone = [...last].filter(([, v]) => v === null).map(([k]) => k);
    const kept = [...last].filter((e): e is [string, string] => e[1] !== null);
    const db = this.#db();
    if (this.#lockLost) throw this.#lost();
    let answer: { owned: boolean; held: boolean } | undefined;
    // Nothing is written unless this gateway is still the owner: the check and the writes are one statement, and the
    // owner row it shares is what a takeover updates (it waits for this write, and this write sees it after).
    // A checked row is locked as it is compared: a write of it by another session committed meanwhile is waited for,
    // and compared as it is after that write (PostgreSQL rechecks an updated row a `for update` waited for).
    await countedWrite(this, async () => {
      const { rows } = await db.query<{ owned: boolean; held: boolean }>({
        name: 'quancun-batch',
        text: 'with owner as (select 1 from quancun_owner where id = 1 and epoch = $4 for share), '
          + 'matched as (select e.key from quancun_entries e join unnest($5::text[], $6::text[]) as c(k, v) on e.key = c.k and e.value = c.v for update of e), '
          + 'answer as (select exists (select 1 from owner) as owned, (select count(*) from matched) = cardinality($5::text[]) as held), '
          + 'gone as (delete from quancun_entries where key = any($1::text[]) and (select owned and held from answer)), '
          + 'kept as (insert into quancun_entries (key, value) select k, v from unnest($2::text[], $3::text[]) as u(k, v) '
          + 'where (select owned and held from answer) on conflict (key) do update set value = excluded.value) '
          + 'select owned, held from answer',
        values: [gone, kept.map(([k]) => k), kept.map(([, v]) => v), this.#epoch, checks.map(([k]) => k), checks.map(([, v]) => v)],
      }).catch(this.#refused);
      answer = rows[0];
    });
    if (answer?.owned !== true) {
      this.#loseLock('another gateway took the store over');
      throw this.#lost();
    }
    if (answer.held !== true) throw conflict(this.location, checks.map(([k]) => k).join(', '));
  }

  #lost(): QuancunError {
    return new QuancunError('JOURNAL_UNAVAILABLE', `this gateway no longer holds ${this.location}: it stops, and may wait as the standby`, { store: this.location });
  }

  /** Once: from now on every write is refused, and whoever runs this store is told to stop. */
  #loseLock(reason: string): void {
    if (this.#lockLost) return;
    this.#lockLost = true;
    // Another gateway may write from now on: what this one kept is no longer the store's.
    this.#reads.clear();
    this.o.log.error('the store was lost: writes refused, the gateway stops', { store: this.location, reason });
    this.#loseWith(reason);
  }

  async list<T>(prefix: string, range: ListRange = {}): Promise<Array<Entry<T>>> {
    const db = this.#db();
    return parsed<T>(await this.#reads.list(prefix, range, () => listOn(db, prefix, range).catch(this.#refused)));
  }

  /** The database failed under a read or a write (a connection dropped, the server down): JOURNAL_UNAVAILABLE. */
  readonly #refused = (err: unknown): never => {
    throw err instanceof QuancunError ? err : unavailable(this.location, err);
  };

  async listAtOnce(prefixes: readonly string[]): Promise<Record<string, Entry[]>> {
    const client = await this.#db().connect().catch(this.#refused);
    try {
      await client.query('begin isolation level repeatable read read only');
      const out: Record<string, Entry[]> = {};
      for (const prefix of prefixes) out[prefix] = parsed(await listOn(client, prefix, {}));
      await client.query('commit');
      return out;
    } catch (err) {
      await client.query('rollback').catch(() => {});
      return this.#refused(err);
    } finally {
      client.release();
    }
  }

  /**
   * The gateways waiting to take this store over (standbys; also one started while this holds it, waiting a moment
   * for a dead holder's session): none means that if this gateway stops, no one serves until it is started again.
   */
  standbys(): Promise<WaitingGateway[]> {
    return lockSessions(this.#db(), false);
  }

  #db(): pg.Pool {
    if (!this.#pool) throw new QuancunError('JOURNAL_UNAVAILABLE', `store ${this.location} is not open`, { store: this.location });
    return this.#pool;
  }

  /**
   * STORE_LOCK on a connection kept for it. Held by another: JOURNAL_UNAVAILABLE naming it, or for a standby a wait
   * until the holder's session ends (it stopped, or died: its connections close with it). Held by a gateway of this
   * machine that is gone: a short wait for its session to end.
   */
  async #lock(pool: pg.Pool): Promise<pg.PoolClient> {
    const client = await pool.connect();
    const { rows } = await client.query<{ got: boolean }>('select pg_try_advisory_lock($1) as got', [STORE_LOCK]);
    if (!rows[0]?.got) {
      const who = (await lockSessions(client, true))[0]?.session ?? 'another process';
      const refused = () => new QuancunError('JOURNAL_UNAVAILABLE', `the store ${this.location} is held by ${who}: stop that gateway, or give this one another database`, {
        store: this.location, holder: who,
      });
      if (this.o.standby) {
        await this.#standBy(client, who);
      } else if (endedHere(who)) {
        // A gateway on this machine that was killed a moment ago: PostgreSQL ends its session, and with it the lock,
        // once it sees the socket closed. A restart right after is not refused for that; it waits a little, no more.
        this.o.log.info('the store is held by a gateway process here that has ended; waiting for its session to end', { store: this.location, holder: who });
        try {
          await client.query(`set lock_timeout = '${DEAD_HOLDER_WAIT_MS}ms'`);
          await client.query('select pg_advisory_lock($1)', [STORE_LOCK]);
          await client.query('reset lock_timeout');
        } catch {
          client.release(true);
          throw refused();
        }
      } else {
        client.release();
        throw refused();
      }
    }
    client.on('error', (err) => this.#loseLock(`the connection holding the lock was lost: ${err.message}`));
    return client;
  }

  /** A standby's wait for STORE_LOCK, until the holder's session ends or close() ends the wait. */
  async #standBy(client: pg.PoolClient, who: string): Promise<void> {
    this.o.log.info('standby: another gateway holds the store; waiting to take over', { store: this.location, holder: who });
    this.#waiting = client;
    const stopped = (err: Error) => new QuancunError('JOURNAL_UNAVAILABLE', `the standby stopped waiting for ${this.location}: ${err.message}`, { store: this.location }, { cause: err });
    try {
      // A backend waiting for a lock does not notice its client gone: without this, a standby that died while it
      // waited would stay listed as waiting (standbys()) until the lock came to it.
      const refused = await client.query("set client_connection_check_interval = '1s'").then(() => undefined, (err: Error) => err);
      if (refused && this.#waiting !== client) throw stopped(refused); // close() ended the wait
      if (refused) {
        client.release(true);
        throw new QuancunError('JOURNAL_UNAVAILABLE', `a standby needs PostgreSQL 14 or newer (client_connection_check_interval): ${refused.message}`, { store: this.location });
      }
      this.o.onStandby?.(who);
      await client.query('select pg_advisory_lock($1)', [STORE_LOCK]).catch((err: Error) => {
        throw stopped(err);
      });
    } finally {
      this.#waiting = undefined;
    }
  }

  /** This gateway's turn as the owner, counted up from the last one's: writes of an earlier owner fail from now on. */
  async #takeOver(holder: pg.PoolClient): Promise<number> {
    const { rows } = await holder.query<{ epoch: string; was: string }>(
      'update quancun_owner o set epoch = o.epoch + 1, holder = $1, since = now() from (select holder as was from quancun_owner where id = 1) p where o.id = 1 returning o.epoch, p.was',
      [GATEWAY_SESSION],
    );
    const epoch = Number(rows[0]!.epoch);
    if (epoch > 1) this.o.log.info('took the store over', { store: this.location, epoch, from: rows[0]!.was });
    return epoch;
  }
}

async function listOn(db: pg.Pool | pg.PoolClient, prefix: string, range: ListRange): Promise<RawEntries> {
  const { gte, lt } = keyWindow(prefix, range);
  // A null limit is none.
  const limit = range.limit !== undefined ? Math.max(0, Math.floor(range.limit)) : null;
  const order = range.reverse ? 'desc' : 'asc';
  const { rows } = await db.query<{ key: string; value: string }>({
    name: `quancun-list-${order}`, text: `select key, value from quancun_entries where key >= $1 and key < $2 order by key ${order} limit $3`, values: [gte, lt, limit],
  });
  return rows.map((r) => [r.key, r.value] as const);
}

export function unavailable(location: string, err: unknown): QuancunError {
  return new QuancunError('JOURNAL_UNAVAILABLE', `cannot use the PostgreSQL store ${location}: ${(err as Error).message}`, { store: location }, { cause: err });
}

/** The URL as logs and messages may show it. */
export function withoutPassword(url: string): string {
  try {
    const u = new URL(url);
    u.password = '';
    return u.toString();
  } catch {
    return 'postgresql (URL not shown: it does not parse)';
  }
}
