import test from 'ava';
import { rawBatch, type RawBatch, type RawCheck, type RawOp } from '../../common/store/durable-store.ts';
import { GroupCommit } from '../../common/store/group-commit.ts';

/**
 * A store stand-in whose writes are recorded and finish only when told (finish(i) or fail(i)); `held` is what it holds,
 * updated when a write finishes.
 */
function store(held: Record<string, string> = {}) {
  const writes: Array<{ ops: RawOp[]; finish: () => void; fail: (err: Error) => void }> = [];
  const group = new GroupCommit({
    commit: (ops) => new Promise<void>((finish, fail) => void writes.push({
      ops,
      finish: () => {
        for (const [k, v] of ops) if (v === null) delete held[k]; else held[k] = v;
        finish();
      },
      fail,
    })),
    current: (key) => held[key],
    conflict: (key) => new Error(`conflict on ${key}`),
  });
  const write = (ops: RawOp[], checks: RawCheck[] = []) => group.write({ writes: ops, checks } satisfies RawBatch);
  return { group: { write }, writes };
}

const op = (key: string, value: string | null = '1'): RawOp => [key, value];

test('an idle store writes a batch at once; batches asked for meanwhile go together in the next write, in order', async (t) => {
  const { group, writes } = store();
  const first = group.write([op('a')]);
  t.is(writes.length, 1, 'written at once');
  const settled: string[] = [];
  const rest = ['b', 'c', 'd'].map((k) => group.write([op(k), op(`${k}/index`, null)]).then(() => void settled.push(k)));
  t.is(writes.length, 1, 'they wait for the write under way');
  writes[0]!.finish();
  await first;
  await Promise.resolve();
  t.deepEqual(writes[1]!.ops, [op('b'), op('b/index', null), op('c'), op('c/index', null), op('d'), op('d/index', null)]);
  t.deepEqual(settled, [], 'none resolves before its write is done');
  writes[1]!.finish();
  await Promise.all(rest);
  t.deepEqual(settled, ['b', 'c', 'd']);
  t.is(writes.length, 2);
});

test('a write that fails rejects every batch in it, and the batches after it still go', async (t) => {
  const { group, writes } = store();
  const first = group.write([op('a')]);
  const second = group.write([op('b')]);
  const third = group.write([op('c')]);
  writes[0]!.finish();
  await first;
  await Promise.resolve();
  const fourth = group.write([op('d')]);
  writes[1]!.fail(new Error('refused'));
  await t.throwsAsync(second, { message: 'refused' });
  await t.throwsAsync(third, { message: 'refused' });
  await Promise.resolve();
  t.deepEqual(writes[2]!.ops, [op('d')]);
  writes[2]!.finish();
  await fourth;
});

test('a backlog goes in writes of at most 2,000 operations, each batch whole', async (t) => {
  const { group, writes } = store();
  void group.write([op('first')]);
  const big = (n: string) => Array.from({ length: 900 }, (_, i) => op(`${n}/${i}`));
  const waiting = ['x', 'y', 'z'].map((n) => group.write(big(n)));
  writes[0]!.finish();
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.is(writes[1]!.ops.length, 1800, 'x and y; z would pass 2,000');
  writes[1]!.finish();
  await new Promise<void>((resolve) => setImmediate(resolve));
  t.is(writes[2]!.ops.length, 900);
  writes[2]!.finish();
  await Promise.all(waiting);
});

test('values are taken as JSON text when the batch is asked for', (t) => {
  const value = { state: 'created' };
  const raw = rawBatch([{ type: 'check', key: 'gw/load/1', value }, { type: 'put', key: 'gw/load/1', value }, { type: 'del', key: 'gw/card-open/1' }]);
  value.state = 'changed after';
  t.deepEqual(raw, {
    writes: [['gw/load/1', '{"state":"created"}'], ['gw/card-open/1', null]],
    checks: [['gw/load/1', '{"state":"created"}']],
  });
});

test('a batch whose check fails is refused alone; the check sees the store and the batches ahead of it in its write', async (t) => {
  const { group, writes } = store({ 'gw/load/1': 'authorized' });
  const first = group.write([op('busy')]);
  // Two steps read the same state; the first to be written wins, the second is refused, the one after it reads the new state.
  const winner = group.write([op('gw/load/1', 'bank-pending')], [['gw/load/1', 'authorized']]);
  const loser = group.write([op('gw/load/1', 'cancelled'), op('other')], [['gw/load/1', 'authorized']]);
  const next = group.write([op('gw/load/1', 'approved')], [['gw/load/1', 'bank-pending']]);
  const gone = group.write([op('x')], [['gw/load/2', 'authorized']]);
  writes[0]!.finish();
  await first;
  await t.throwsAsync(loser, { message: 'conflict on gw/load/1' });
  await t.throwsAsync(gone, { message: 'conflict on gw/load/2' }, 'a key that holds nothing fails its check');
  t.deepEqual(writes[1]!.ops, [op('gw/load/1', 'bank-pending'), op('gw/load/1', 'approved')], 'the refused batch wrote nothing');
  writes[1]!.finish();
  await Promise.all([winner, next]);
  // A check decided against the store alone, once the write before it is done.
  const stale = group.write([op('gw/load/1', 'cancelled')], [['gw/load/1', 'bank-pending']]);
  await t.throwsAsync(stale, { message: 'conflict on gw/load/1' });
  t.is(writes.length, 2, 'a write of only refused batches is not made');
});
