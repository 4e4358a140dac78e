/**
 * The durable store contract (common/store/durable-store.ts), run on each backend: LevelDB on disk and a real
 * PostgreSQL. What the journals and the ledger rely on: values back as written, batches atomic and in order, a prefix
 * listed as a range of keys by their bytes, reads of several prefixes as of one moment, a resolved write surviving the
 * strongest end the backend's rig can give it, and one writer at a time: a second store on the same ground refused
 * with JOURNAL_UNAVAILABLE.
 */
import test, { type ExecutionContext } from 'ava';
import { MARKER_KEY, type DurableStore } from '../../common/store/durable-store.ts';

export interface StoreRig {
  /** A store on fresh, empty ground, not yet opened. */
  store: DurableStore;
  /** Another store on the same ground (a restart's), not yet opened. */
  again(): DurableStore;
  /** Ends the store the hardest way the backend's rig can (pg: the server crashed, immediate mode, and started again). */
  crash(store: DurableStore): Promise<void>;
  /** What the refusal of a second store on the same ground names: who holds it, or where. */
  heldBy: string;
}

export function durableStoreContract(backend: string, makeRig: (t: ExecutionContext) => Promise<StoreRig>): void {
  const storeTest = (title: string, body: (t: ExecutionContext, store: DurableStore, rig: StoreRig) => Promise<void>) =>
    test.serial(`${backend}: ${title}`, async (t) => {
      const rig = await makeRig(t);
      await rig.store.open();
      t.teardown(() => rig.store.close());
      await body(t, rig.store, rig);
    });

  storeTest('values come back as written; a missing key is undefined', async (t, store) => {
    const value = { state: 'paid', amount: 1500, nested: { list: [1, 'two', null, true] }, holder: '张三', room: '东区3号楼402' };
    await store.put('gw/fee/K001-00000001', value);
    t.deepEqual(await store.get('gw/fee/K001-00000001'), value);
    t.is(await store.get('gw/fee/K001-00000002'), undefined);
    await store.put('meta/count', 7);
    t.is(await store.get('meta/count'), 7);
  });

  storeTest('a fresh store carries its marker, and touch writes the heartbeat key', async (t, store) => {
    t.truthy(await store.get(MARKER_KEY));
    await store.touch();
    t.is(typeof await store.get('meta/heartbeat'), 'number');
  });

  storeTest('a batch applies its ops in order, the last op on a key winning', async (t, store) => {
    await store.put('k/gone', 1);
    await store.batch([
      { type: 'put', key: 'k/a', value: 1 },
      { type: 'del', key: 'k/a' },
      { type: 'del', key: 'k/b' },
      { type: 'put', key: 'k/b', value: 2 },
      { type: 'put', key: 'k/c', value: 3 },
      { type: 'put', key: 'k/c', value: 4 },
      { type: 'del', key: 'k/gone' },
    ]);
    t.deepEqual(await store.list('k/'), [{ key: 'k/b', value: 2 }, { key: 'k/c', value: 4 }]);
    await store.batch([]);
    t.is((await store.list('k/')).length, 2);
  });

  storeTest('a batch with checks is written only over what it read: a changed, or missing, key refuses it all (JOURNAL_CONFLICT)', async (t, store) => {
    const read = { state: 'authorized', amount: 5000, holder: '张三' };
    await store.put('gw/load/T1', read);
    await store.batch([
      { type: 'check', key: 'gw/load/T1', value: read },
      { type: 'put', key: 'gw/load/T1', value: { ...read, state: 'bank-pending' } },
      { type: 'put', key: 'stan/0001', value: 42 },
    ]);
    t.deepEqual(await store.get('gw/load/T1'), { ...read, state: 'bank-pending' });
    // A second step from the same read: refused, and nothing of its batch is written.
    for (const [key, value] of [['gw/load/T1', read], ['gw/load/T2', read]] as const) {
      const err = await t.throwsAsync(store.batch([
        { type: 'put', key: 'stan/0001', value: 43 },
        { type: 'check', key, value },
        { type: 'put', key: 'gw/load/T1', value: { ...read, state: 'cancelled' } },
        { type: 'del', key: 'gw/card-open/T1' },
      ]), { code: 'JOURNAL_CONFLICT' } as never);
      t.true(err!.message.includes(key), err!.message);
    }
    t.deepEqual(await store.get('gw/load/T1'), { ...read, state: 'bank-pending' });
    t.is(await store.get('stan/0001'), 42);
  });

  storeTest('two steps from one read, asked for together: exactly one is written', async (t, store) => {
    const read = { state: 'approved' };
    await store.put('gw/load/T1', read);
    const steps = ['completed', 'reversing'].map((state) => store.batch([
      { type: 'check', key: 'gw/load/T1', value: read }, { type: 'put', key: 'gw/load/T1', value: { state } },
    ]).then(() => state, (err: { code?: string }) => err.code));
    const outcomes = await Promise.all(steps);
    t.is(outcomes.filter((o) => o === 'JOURNAL_CONFLICT').length, 1, outcomes.join(', '));
    const written = outcomes.find((o) => o !== 'JOURNAL_CONFLICT');
    t.deepEqual(await store.get('gw/load/T1'), { state: written });
  });

  storeTest('a prefix is a range of keys by their bytes; from, before, reverse and limit narrow it', async (t, store) => {
    const keys = ['a', 'a/', 'a/1', 'a/10', 'a/2', 'a/Z', 'a/z', 'a/中', 'a0', 'b/1', 'a.'];
    await store.batch(keys.map((key) => ({ type: 'put', key, value: key })));
    const listed = async (...args: Parameters<DurableStore['list']>) => (await store.list<string>(...args)).map((e) => e.key);
    // By bytes: '1' < '10' < '2' < 'Z' < 'z' < '中' (E4 B8 AD); 'a.' and 'a0' are not under 'a/'.
    t.deepEqual(await listed('a/'), ['a/', 'a/1', 'a/10', 'a/2', 'a/Z', 'a/z', 'a/中']);
    t.deepEqual(await listed('a/', { from: 'a/2' }), ['a/2', 'a/Z', 'a/z', 'a/中']);
    t.deepEqual(await listed('a/', { before: 'a/Z' }), ['a/', 'a/1', 'a/10', 'a/2']);
    t.deepEqual(await listed('a/', { from: 'a/1', before: 'a/Z', reverse: true }), ['a/2', 'a/10', 'a/1']);
    t.deepEqual(await listed('a/', { reverse: true, limit: 2 }), ['a/中', 'a/z']);
    t.deepEqual(await listed('a/', { limit: 0 }), []);
    // A window outside the prefix is cut to it.
    t.deepEqual(await listed('a/', { from: 'a', before: 'b' }), ['a/', 'a/1', 'a/10', 'a/2', 'a/Z', 'a/z', 'a/中']);
    t.deepEqual(await listed('c/'), []);
  });

  storeTest('several prefixes read as of one moment: a batch committed meanwhile is seen in all or in none', async (t, store) => {
    await store.batch([
      { type: 'put', key: 'gw/load/T1', value: { state: 'pending-load' } },
      { type: 'put', key: 'ledger/posting/T1', value: { status: 'pending' } },
    ]);
    const reading = store.listAtOnce(['gw/load/', 'ledger/posting/']);
    await store.batch([
      { type: 'put', key: 'gw/load/T1', value: { state: 'completed' } },
      { type: 'put', key: 'ledger/posting/T1', value: { status: 'final' } },
    ]);
    const seen = await reading;
    const pair = [seen['gw/load/']![0]!.value, seen['ledger/posting/']![0]!.value];
    t.true(
      JSON.stringify(pair) === JSON.stringify([{ state: 'pending-load' }, { status: 'pending' }])
        || JSON.stringify(pair) === JSON.stringify([{ state: 'completed' }, { status: 'final' }]),
      `half a batch seen: ${JSON.stringify(pair)}`,
    );
    t.deepEqual(await store.listAtOnce(['gw/load/', 'ledger/posting/']), {
      'gw/load/': [{ key: 'gw/load/T1', value: { state: 'completed' } }],
      'ledger/posting/': [{ key: 'ledger/posting/T1', value: { status: 'final' } }],
    });
  });

  test.serial(`${backend}: a write that resolved is there after the store ends the hard way and is opened again`, async (t) => {
    const rig = await makeRig(t);
    await rig.store.open();
    await rig.store.batch([{ type: 'put', key: 'gw/load/T9', value: { state: 'approved' } }, { type: 'put', key: 'stan/0001', value: 41 }]);
    await rig.crash(rig.store);
    const again = rig.again();
    await again.open();
    t.teardown(() => again.close());
    t.deepEqual(await again.get('gw/load/T9'), { state: 'approved' });
    t.is(await again.get('stan/0001'), 41);
  });

  storeTest('one writer at a time: a second store on the same ground (another gateway\'s) is refused JOURNAL_UNAVAILABLE, saying who holds it', async (t, _store, rig) => {
    const err = await t.throwsAsync(rig.again().open(), { code: 'JOURNAL_UNAVAILABLE' } as never);
    t.true(err!.message.includes(rig.heldBy), err!.message);
  });
}
