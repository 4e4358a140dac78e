/**
 * The STAN counter of a bank terminal on a real LevelDB: counts on across reopening, wraps 999999 to 1, keeps one
 * count per terminal id, and hands concurrent reservers distinct STANs, one write after another.
 */
import test from 'ava';
import { join } from 'node:path';
import { LevelStore } from '../../common/store/level-store.ts';
import { StanCounter, StanCounters } from '../../gateway/bank/stan-counter.ts';
import { tempDir } from '../support/temp-dir.ts';

async function openStore(path: string) {
  const store = new LevelStore(path);
  await store.open();
  return store;
}

test('STANs count on from the journal after the store is reopened, per terminal id', async (t) => {
  const path = join(await tempDir(t), 'gateway');
  const store = await openStore(path);
  const one = new StanCounter(store, 'QC000001');
  t.deepEqual([await one.next(), await one.next(), await one.next()], [1, 2, 3]);
  t.is(await new StanCounter(store, 'QC000002').next(), 1);
  await store.close();

  const again = await openStore(path);
  t.teardown(() => again.close());
  t.deepEqual([await new StanCounter(again, 'QC000001').next(), await new StanCounter(again, 'QC000002').next()], [4, 2]);
  t.is(await again.get('gw/stan/QC000001'), 4);
});

test('999999 is followed by 1', async (t) => {
  const store = await openStore(join(await tempDir(t), 'gateway'));
  t.teardown(() => store.close());
  await store.put('gw/stan/QC000001', 999998);
  const counter = new StanCounter(store, 'QC000001');
  t.deepEqual([await counter.next(), await counter.next(), await counter.next()], [999999, 1, 2]);
});

test('a reservation is written in the caller\'s batch; the next waits for it, and a failed one leaves a gap', async (t) => {
  const store = await openStore(join(await tempDir(t), 'gateway'));
  t.teardown(() => store.close());
  const counters = new StanCounters(store);
  const counter = counters.forTerminal('QC000001');
  t.is(counters.forTerminal('QC000001'), counter, 'banks naming one terminal id share its counter');

  const writes: number[] = [];
  let release!: () => void;
  const held = new Promise<void>((resolve) => (release = resolve));
  let firstStarted!: () => void;
  const started = new Promise<void>((resolve) => (firstStarted = resolve));
  const first = counter.reserve(async (stan, reserve) => {
    writes.push(stan);
    firstStarted();
    await held;
    await store.batch([{ type: 'put', key: 'load/a', value: stan }, reserve]);
    return stan;
  });
  const second = counter.next();
  const failed = counter.reserve(() => Promise.reject(new Error('disk full')));
  const third = counter.reserve(async (stan, reserve) => {
    writes.push(stan);
    await store.batch([{ type: 'put', key: 'load/b', value: stan }, reserve]);
    return stan;
  });
  await started;
  t.deepEqual(writes, [1], 'nothing else is reserved while the first write is not on disk');
  release();

  t.deepEqual([await first, await second, await third], [1, 2, 4]);
  await t.throwsAsync(failed, { message: 'disk full' });
  t.deepEqual(writes, [1, 4]);
  t.deepEqual([await store.get('load/a'), await store.get('load/b'), await store.get('gw/stan/QC000001')], [1, 4, 4]);
});

test('a journal from before one counter per terminal: every terminal counts on past its single transfer counter', async (t) => {
  const store = await openStore(join(await tempDir(t), 'gateway'));
  t.teardown(() => store.close());
  await store.put('meta/stan', 41);
  t.deepEqual([await new StanCounter(store, 'QC000001').next(), await new StanCounter(store, 'QC000002').next()], [42, 42]);
});
