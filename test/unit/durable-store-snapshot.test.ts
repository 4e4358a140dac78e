/**
 * Reading several prefixes as of one moment: the chaos harness compares a load's state with its posting, written in
 * one batch; two separate reads once straddled a confirm (state before it, posting after it) and reported a ledger
 * violation that no store ever held.
 */
import test from 'ava';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { DurableStore } from '../../common/store/durable-store.ts';
import { tempDir } from '../support/temp-dir.ts';

test('a batch committed while several prefixes are read is seen in all of them or in none', async (t) => {
  const store = new DurableStore(join(await tempDir(t), 'store'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  await store.batch([
    { type: 'put', key: 'gw/load/T1', value: { state: 'pending-load' } },
    { type: 'put', key: 'ledger/posting/T1', value: { status: 'pending' } },
  ]);

  const reading = store.listAtOnce(['gw/load/', 'ledger/posting/']);
  await store.batch([
    { type: 'put', key: 'gw/load/T1', value: { state: 'completed' } },
    { type: 'put', key: 'ledger/posting/T1', value: { status: 'final' } },
  ]);
  t.deepEqual(await reading, {
    'gw/load/': [{ key: 'gw/load/T1', value: { state: 'pending-load' } }],
    'ledger/posting/': [{ key: 'ledger/posting/T1', value: { status: 'pending' } }],
  });
  t.deepEqual(await store.listAtOnce(['gw/load/', 'ledger/posting/']), {
    'gw/load/': [{ key: 'gw/load/T1', value: { state: 'completed' } }],
    'ledger/posting/': [{ key: 'ledger/posting/T1', value: { status: 'final' } }],
  });
});
