/**
 * The one-card contract on the built-in system: the accounts in the gateway's own store (LevelDB here), seeded from
 * the config's cardholders; the store is the posting record, so a posting sent to it changes nothing.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { tempDir } from '../support/temp-dir.ts';
import { CONTRACT_ACCOUNTS, oneCardContract, ZHANG } from './one-card.contract.ts';

async function builtIn(t: ExecutionContext) {
  const store = new LevelStore(join(await tempDir(t), 'gw'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  return { store, system: new BuiltInOneCard(store, CONTRACT_ACCOUNTS) };
}

oneCardContract('built-in', builtIn);

test('built-in: a posting is already in the gateway\'s store: post answers with it and writes nothing', async (t) => {
  const { store, system } = await builtIn(t);
  await system.open();
  const before = await store.list('');
  const posting = { txnId: 'K001-00000001', campusAccount: ZHANG.campusAccount, amount: 5000, status: 'final' as const, at: '2026-11-27T08:30:00.000Z' };
  t.deepEqual(await system.post(posting), posting);
  t.deepEqual(await store.list(''), before);
});

test('built-in: opening again keeps an account the store holds, whatever the config now says', async (t) => {
  const { store, system } = await builtIn(t);
  await system.open();
  await new BuiltInOneCard(store, [{ ...ZHANG, name: '张三丰' }]).open();
  t.is((await system.account(ZHANG.campusAccount))!.name, '张三');
});
