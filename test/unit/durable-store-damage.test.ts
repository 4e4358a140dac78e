import test from 'ava';
import { existsSync, mkdirSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join, resolve } from 'node:path';
import { LevelStore } from '../../common/store/level-store.ts';
import { createLogger } from '../../common/log.ts';
import { QuancunError } from '../../common/errors.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A store with two records on disk, closed: what a kiosk or gateway leaves behind when the power goes. */
async function writtenStore(dir: string): Promise<string> {
  const path = join(dir, 'journal');
  const store = new LevelStore(path);
  await store.open();
  await store.put('txn/load/K001-00000001', { state: 'authorizing', amount: 5000 });
  await store.batch([{ type: 'put', key: 'txn/load/K001-00000002', value: { state: 'crediting', amount: 100 } }]);
  await store.close();
  return path;
}

function capture() {
  const lines: Array<{ level: string; msg: string }> = [];
  return { lines, log: createLogger({ sink: (line) => lines.push(JSON.parse(line)) }) };
}

async function reopened(t: import('ava').ExecutionContext, path: string, log = capture().log): Promise<LevelStore> {
  const store = new LevelStore(path, { log });
  await store.open();
  t.teardown(() => store.close());
  return store;
}

const damages: Array<[string, (path: string) => void]> = [
  ['a CURRENT file that is not a manifest name', (path) => writeFileSync(join(path, 'CURRENT'), 'MANIFEST-0000')],
  ['a MANIFEST truncated to nothing', (path) => truncateSync(join(path, readdirSync(path).find((f) => f.startsWith('MANIFEST-'))!), 0)],
];

for (const [what, damage] of damages) {
  test(`${what}: LevelDB refuses it, the store repairs it and every record is back`, async (t) => {
    const path = await writtenStore(await tempDir(t));
    damage(path);
    const { lines, log } = capture();
    const store = await reopened(t, path, log);
    t.deepEqual(await store.get('txn/load/K001-00000001'), { state: 'authorizing', amount: 5000 });
    t.deepEqual(await store.get('txn/load/K001-00000002'), { state: 'crediting', amount: 100 });
    t.deepEqual(lines.filter((l) => l.level === 'error').map((l) => l.msg), [
      'journal database is damaged: repairing',
      'journal database repaired: check the journal against the bank and the ledger',
    ]);
    await store.put('txn/load/K001-00000003', { state: 'created' });
    t.deepEqual(await store.get('txn/load/K001-00000003'), { state: 'created' });
  });
}

test('a missing CURRENT file is repaired, not taken as a new empty database', async (t) => {
  const path = await writtenStore(await tempDir(t));
  rmSync(join(path, 'CURRENT'));
  const store = await reopened(t, path);
  t.deepEqual(await store.get('txn/load/K001-00000001'), { state: 'authorizing', amount: 5000 });
});

test('a creation cut short (LOCK and LOG, no data files yet) opens as a new store', async (t) => {
  const path = join(await tempDir(t), 'journal');
  mkdirSync(path);
  writeFileSync(join(path, 'LOCK'), '');
  writeFileSync(join(path, 'LOG'), '');
  const { lines, log } = capture();
  const store = await reopened(t, path, log);
  await store.put('txn/load/K001-00000001', { state: 'created' });
  t.deepEqual(await store.get('txn/load/K001-00000001'), { state: 'created' });
  t.deepEqual(lines.filter((l) => l.level === 'error'), []);
});

test('a database whose records are lost too: moved aside as <path>.damaged-<time>, JOURNAL_DAMAGED, nothing empty in its place', async (t) => {
  const dir = await tempDir(t);
  const path = await writtenStore(dir);
  writeFileSync(join(path, 'CURRENT'), 'garbage');
  for (const f of readdirSync(path).filter((f) => f.endsWith('.log') || f.endsWith('.ldb'))) writeFileSync(join(path, f), Buffer.alloc(512, 0xab));
  const { lines, log } = capture();
  const store = new LevelStore(path, { log });
  const err = await t.throwsAsync(store.open(), { instanceOf: QuancunError, code: 'JOURNAL_DAMAGED' });
  t.false(existsSync(path), 'no database, empty or not, is left at the journal path');
  const aside = readdirSync(dir).filter((f) => f.startsWith('journal.damaged-'));
  t.is(aside.length, 1);
  t.regex(aside[0]!, /^journal\.damaged-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/);
  t.is(err.details.movedTo, join(dir, aside[0]!));
  t.true(readdirSync(join(dir, aside[0]!)).some((f) => f === 'CURRENT'), 'the damaged files are kept for an operator');
  t.deepEqual(lines.filter((l) => l.level === 'error').map((l) => l.msg), [
    'journal database is damaged: repairing',
    'journal database could not be repaired: moved aside, out of service',
  ]);

  // A restart (systemd, a watchdog) must not start empty either, until an operator removed the damaged copy.
  await t.throwsAsync(new LevelStore(path, { log }).open(), { instanceOf: QuancunError, code: 'JOURNAL_DAMAGED' });
  t.false(existsSync(path));
  rmSync(join(dir, aside[0]!), { recursive: true });
  const settled = await reopened(t, path);
  t.is(await settled.get('txn/load/K001-00000001'), undefined);
});

test('a database this process holds already is JOURNAL_UNAVAILABLE, and is neither repaired nor moved', async (t) => {
  const path = await writtenStore(await tempDir(t));
  await reopened(t, path);
  const { lines, log } = capture();
  const err = await t.throwsAsync(new LevelStore(path, { log }).open(), { instanceOf: QuancunError, code: 'JOURNAL_UNAVAILABLE' });
  t.is(err.message, `store at ${path} is already open in this process`);
  t.deepEqual(lines, []);
  t.true(existsSync(join(path, 'CURRENT')));
});

test('a database another process holds is JOURNAL_UNAVAILABLE naming that process and what to do', async (t) => {
  const path = await writtenStore(await tempDir(t));
  // Another process with the store open, as a second gateway on the same dataDir would have it.
  const args = ['--input-type=module', '-e', `import { Level } from 'level'; await new Level(${JSON.stringify(path)}).open(); console.log('open'); setInterval(() => {}, 1000);`];
  const holder = spawn(process.execPath, args, { cwd: resolve(import.meta.dirname, '../..'), stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => holder.kill());
  await once(holder.stdout, 'data');
  const err = await t.throwsAsync(new LevelStore(path).open(), { instanceOf: QuancunError, code: 'JOURNAL_UNAVAILABLE' });
  t.is(err.message, `store at ${path} is locked by process ${holder.pid} (${[process.execPath, ...args].join(' ')}), probably a quancun gateway or kiosk using the same dataDir: stop that process, or give this one another dataDir in its config`);
  t.deepEqual(err.details, { path, pid: holder.pid });
});
