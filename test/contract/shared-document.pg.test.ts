/**
 * The shared document contract on a row of a real PostgreSQL (a private cluster, a database per test), and what only
 * that backend does: until its row exists the document is the file it replaces, and the first change moves it into
 * the row; a database that cannot be reached is JOURNAL_UNAVAILABLE naming it.
 */
import test from 'ava';
import pg from 'pg';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { fileStorage, SharedJson } from '../../common/store/shared-json.ts';
import { pgDocument } from '../../gateway/store/pg-document.ts';
import { startPgCluster, type PgCluster } from '../../sim/postgres/pg-cluster.ts';
import { sharedDocumentContract } from './shared-document.contract.ts';
import { z } from 'zod';

let cluster: PgCluster;
let databases = 0;
let dir: string;
test.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'quancun-documents-'));
  cluster = await startPgCluster(await mkdtemp(join(tmpdir(), 'quancun-pg-')));
});
test.after.always(async () => {
  await cluster?.stop();
  if (cluster) await rm(cluster.dir, { recursive: true, force: true });
  await rm(dir, { recursive: true, force: true });
});

/** Sets the row's text as another program would, in SQL. */
async function setRow(url: string, name: string, text: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    await client.query('update quancun_documents set value = $2, version = version + 1 where name = $1', [name, text]);
  } finally {
    await client.end();
  }
}

sharedDocumentContract('postgresql', async () => {
  const url = await cluster.createDatabase(`documents_${++databases}`);
  const open = () => pgDocument({ url, name: 'test', log: silentLogger });
  return {
    open,
    async spoil(text) {
      // The row exists once something was stored.
      const storage = open();
      await storage.update(async () => '{}');
      await storage.close();
      await setRow(url, 'test', text);
    },
  };
});

const schema = z.object({ version: z.literal(1), names: z.array(z.string()) });
const empty = () => ({ version: 1 as const, names: [] });

test('a row not yet written is the file it replaces; the first change moves the file\'s content into the row, and the file is no longer read', async (t) => {
  const url = await cluster.createDatabase(`documents_${++databases}`);
  const file = join(dir, 'registry.json');
  await writeFile(file, JSON.stringify({ version: 1, names: ['from the file'] }));
  const doc = (storage = pgDocument({ url, name: 'imported', importFrom: fileStorage(file), log: silentLogger })) => {
    t.teardown(() => storage.close());
    return new SharedJson(storage, schema, empty);
  };
  const gateway = doc();
  t.deepEqual(await gateway.cached(), { version: 1, names: ['from the file'] });
  await doc().update((d) => void d.names.push('added in the database'));
  await writeFile(file, JSON.stringify({ version: 1, names: ['a later edit of the old file'] }));
  t.deepEqual(await gateway.cached(), { version: 1, names: ['from the file', 'added in the database'] });
});

test('a database that cannot be reached is JOURNAL_UNAVAILABLE naming it and the document, without its password', async (t) => {
  const storage = pgDocument({ url: 'postgresql://quancun:secret@127.0.0.1:1/nowhere', name: 'console-users', log: silentLogger });
  t.teardown(() => storage.close());
  const err = await t.throwsAsync(new SharedJson(storage, schema, empty).read(), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.regex(err!.message, /127\.0\.0\.1:1\/nowhere \(document console-users\)/);
  t.false(err!.message.includes('secret'));
});
