import test from 'ava';
import { rawOps, type RawOp } from '../../common/store/durable-store.ts';
import { GroupCommit } from '../../common/store/group-commit.ts';

/** A store stand-in whose writes are recorded and finish only when told (finish(i) or fail(i)). */
function store() {
  const writes: Array<{ ops: RawOp[]; finish: () => void; fail: (err: Error) => void }> = [];
  const group = new GroupCommit((ops) => new Promise<void>((finish, fail) => void writes.push({ ops, finish, fail })));
  return { group, writes };
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
  const raw = rawOps([{ type: 'put', key: 'gw/load/1', value }, { type: 'del', key: 'gw/card-open/1' }]);
  value.state = 'changed after';
  t.deepEqual(raw, [['gw/load/1', '{"state":"created"}'], ['gw/card-open/1', null]]);
});
