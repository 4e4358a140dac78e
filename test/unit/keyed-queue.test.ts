import test from 'ava';
import { KeyedQueue } from '../../common/keyed-queue.ts';

function deferred() {
  let release!: () => void;
  const gate = new Promise<void>((resolve) => (release = resolve));
  return { gate, release };
}

test('jobs of one key run one after another in order; another key does not wait; a failure stops only its own caller', async (t) => {
  const queue = new KeyedQueue();
  const seen: string[] = [];
  const first = deferred();
  const a1 = queue.run('a', async () => {
    seen.push('a1 start');
    await first.gate;
    seen.push('a1 end');
    return 1;
  });
  const a2 = queue.run('a', async () => {
    seen.push('a2');
    throw new Error('a2 failed');
  });
  const a3 = queue.run('a', async () => void seen.push('a3'));
  await queue.run('b', async () => void seen.push('b1'));
  t.deepEqual(seen, ['a1 start', 'b1'], 'b ran while a1 was still under way');
  first.release();
  t.is(await a1, 1);
  await t.throwsAsync(a2, { message: 'a2 failed' });
  await a3;
  await queue.idle();
  t.deepEqual(seen, ['a1 start', 'b1', 'a1 end', 'a2', 'a3']);
});
