/**
 * A shared document (common/store/shared-json.ts) in the gateway's PostgreSQL database: a row of `quancun_documents`,
 * changed in a transaction that holds the row's lock. The gateway, its standby on another host, `quancun ca` and
 * `quancun console-user` share it without the store's one-writer lock, so the kiosks one gateway enrolled or revoked
 * and the console users it knows are the same after a takeover. Until the row exists the document is the file it
 * replaces (`importFrom`): a gateway moved from LevelDB keeps its enrolled kiosks and its users, and its first change
 * writes them to the row.
 */
import pg from 'pg';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DocumentStorage } from '../../common/store/shared-json.ts';
import { migrate } from './pg-migrations.ts';
import { unavailable, withoutPassword } from './pg-store.ts';

export interface PgDocumentOptions {
  url: string;
  /** The row's name: `ca-registry`, `console-users`. */
  name: string;
  importFrom?: DocumentStorage;
  log: Logger;
}

export function pgDocument(o: PgDocumentOptions): DocumentStorage {
  const location = `${withoutPassword(o.url)} (document ${o.name})`;
  let ready: Promise<pg.Pool> | undefined;
  /** Opened at the first use, migrated once; idle connections do not keep a command's process alive. */
  const db = (): Promise<pg.Pool> => (ready ??= (async () => {
    const pool = new pg.Pool({ connectionString: o.url, max: 2, allowExitOnIdle: true, application_name: `quancun document ${process.pid}` });
    pool.on('error', (err) => o.log.warn('PostgreSQL connection lost', { document: location, error: err }));
    try {
      await migrate(pool, location, o.log);
      return pool;
    } catch (err) {
      ready = undefined;
      await pool.end().catch(() => {});
      throw err;
    }
  })());
  const failed = (err: unknown): never => {
    throw err instanceof QuancunError ? err : unavailable(location, err);
  };
  /** One column of the row; undefined while there is no row. A database fault is JOURNAL_UNAVAILABLE. */
  const column = async (name: 'value' | 'version'): Promise<string | null | undefined> => {
    try {
      const { rows } = await (await db()).query<Record<typeof name, string | null>>({
        name: `quancun-document-${name}`, text: `select ${name} from quancun_documents where name = $1`, values: [o.name],
      });
      return rows[0]?.[name];
    } catch (err) {
      return failed(err);
    }
  };
  return {
    location,
    async read() {
      return (await column('value')) ?? (await o.importFrom?.read());
    },
    async signature() {
      const version = await column('version');
      return version != null ? `v${version}` : `import ${(await o.importFrom?.signature()) ?? 'none'}`;
    },
    async update(change) {
      const client = await (await db().catch(failed)).connect().catch(failed);
      /** An error of the caller's change is its own, not the database's. */
      let inChange = false;
      try {
        await client.query('begin');
        // The row exists before it is locked, so two first changes wait for each other too.
        await client.query('insert into quancun_documents (name, value, version) values ($1, null, 0) on conflict do nothing', [o.name]);
        const { rows } = await client.query<{ value: string | null }>('select value from quancun_documents where name = $1 for update', [o.name]);
        const text = rows[0]!.value ?? (await o.importFrom?.read());
        inChange = true;
        const next = await change(text);
        inChange = false;
        await client.query('update quancun_documents set value = $2, version = version + 1 where name = $1', [o.name, next]);
        await client.query('commit');
      } catch (err) {
        await client.query('rollback').catch(() => {});
        if (inChange) throw err;
        failed(err);
      } finally {
        client.release();
      }
    },
    async close() {
      const pool = ready && (await ready.catch(() => undefined));
      ready = undefined;
      await pool?.end();
    },
  };
}
