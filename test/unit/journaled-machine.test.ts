import test from 'ava';
import { join } from 'node:path';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine, type JournalRecord, type MachineSpec } from '../../common/store/journaled-machine.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import { LOAD_MACHINE } from '../../runtime/flows/load/load-machine.ts';
import { GATEWAY_LOAD_MACHINE } from '../../gateway/loads/gateway-load-machine.ts';
import { QuancunError } from '../../common/errors.ts';
import { tempDir } from '../support/temp-dir.ts';

type S = 'a' | 'b' | 'c';
const SPEC: MachineSpec<S> = { name: 'demo', transitions: { a: ['b'], b: ['c'], c: [] } };
interface Rec extends JournalRecord<S> { note?: string }

test('a transition is on disk when advance resolves, and survives reopening the database', async (t) => {
  const path = join(await tempDir(t), 'db');
  const store = new LevelStore(path);
  await store.open();
  const m = new JournaledMachine<S, Rec>(store, 'x', SPEC);
  const r = await m.create({ id: 't1', state: 'a' });
  await m.advance(r, 'b', { note: 'written' }, [{ type: 'put', key: 'side/t1', value: { with: 'b' } }]);
  await store.close();

  const again = new LevelStore(path);
  await again.open();
  t.teardown(() => again.close());
  const m2 = new JournaledMachine<S, Rec>(again, 'x', SPEC);
  const back = await m2.require('t1');
  t.is(back.state, 'b');
  t.is(back.note, 'written');
  t.deepEqual(back.history.map((h) => h.state), ['a', 'b']);
  t.deepEqual(await again.get('side/t1'), { with: 'b' });
  t.deepEqual((await m2.unfinished()).map((x) => x.id), ['t1']);
});

test('a transition written through another machine: its state and the other\'s record in one batch, or neither', async (t) => {
  const store = new LevelStore(join(await tempDir(t), 'db'));
  await store.open();
  t.teardown(() => store.close());
  const m = new JournaledMachine<S, Rec>(store, 'x', SPEC);
  const other = new JournaledMachine<S, Rec>(store, 'y', SPEC);
  const changed: string[] = [];
  m.on('changed', (r) => changed.push(r.state));
  const r = await m.create({ id: 't1', state: 'a' });
  // The other machine's create takes the advance's writes as its own batch's `alongside`.
  await m.advance(r, 'b', {}, [{ type: 'put', key: 'side/t1', value: 1 }], (ops) => other.create({ id: 'o1', state: 'a' }, ops));
  t.is((await m.require('t1')).state, 'b');
  t.is((await other.require('o1')).state, 'a');
  t.is(await store.get('side/t1'), 1);
  // A writer that refuses (o1 exists already): the transition is not on disk and not announced.
  const b = await m.require('t1');
  await t.throwsAsync(m.advance(b, 'c', {}, [], (ops) => other.create({ id: 'o1', state: 'a' }, ops)), { code: 'TXN_STATE' });
  t.is((await m.require('t1')).state, 'b');
  t.deepEqual(changed, ['a', 'b']);
});

test('a step from a copy read before another step was written is refused with JOURNAL_CONFLICT, and writes nothing', async (t) => {
  const store = new LevelStore(join(await tempDir(t), 'db'));
  await store.open();
  t.teardown(() => store.close());
  type L = 'authorized' | 'bank-pending' | 'cancelled' | 'approved';
  const spec: MachineSpec<L> = {
    name: 'load', transitions: { authorized: ['bank-pending', 'cancelled'], 'bank-pending': ['approved'], cancelled: [], approved: [] },
  };
  const m = new JournaledMachine<L, JournalRecord<L>>(store, 'x', spec);
  const changed: L[] = [];
  m.on('changed', (r) => changed.push(r.state));
  const read = await m.create({ id: 't1', state: 'authorized' });
  // Two steps from one read (a cardholder's cancel, and the bank request): the first written wins.
  const sent = await m.advance(read, 'bank-pending');
  await t.throwsAsync(m.advance(read, 'cancelled', {}, [{ type: 'put', key: 'side/t1', value: 'refund' }]), { code: 'JOURNAL_CONFLICT' });
  t.is(await store.get('side/t1'), undefined);
  // The copy advance returned is what is on disk: the next step from it is written.
  await m.advance(sent, 'approved');
  t.deepEqual((await m.require('t1')).history.map((h) => h.state), ['authorized', 'bank-pending', 'approved']);
  t.deepEqual(changed, ['authorized', 'bank-pending', 'approved']);
});

test('a transition the machine does not allow is refused with TXN_STATE and nothing is written', async (t) => {
  const store = new LevelStore(join(await tempDir(t), 'db'));
  await store.open();
  t.teardown(() => store.close());
  const m = new JournaledMachine<S, Rec>(store, 'x', SPEC);
  const r = await m.create({ id: 't1', state: 'a' });
  const err = await t.throwsAsync(m.advance(r, 'c'), { instanceOf: QuancunError });
  t.is(err?.code, 'TXN_STATE');
  t.is((await m.require('t1')).state, 'a');
  const dup = await t.throwsAsync(m.create({ id: 't1', state: 'a' }), { instanceOf: QuancunError });
  t.is(dup?.code, 'TXN_STATE');
  const unknown = await t.throwsAsync(m.require('nope'), { instanceOf: QuancunError });
  t.is(unknown?.code, 'TXN_UNKNOWN');
});

test('transaction ids are unique per kiosk and keep counting across restarts; an id never written may come again', async (t) => {
  const path = join(await tempDir(t), 'kiosk');
  const record = (id: string) => ({ id, state: 'created' as const, kind: 'load' as const, amount: 100, terminalId: '000000000001', asn: 'A' });
  const j1 = new KioskJournal(path, 'K001');
  await j1.open();
  const first = j1.nextTxnId();
  const second = j1.nextTxnId();
  t.deepEqual([first.id, second.id], ['K001-00000001', 'K001-00000002']);
  await j1.loads.create(record(first.id), [first.reserve]);
  await j1.loads.create(record(second.id), [second.reserve]);
  t.is(j1.nextTxnId().id, 'K001-00000003'); // handed out, but its record never written: the crash case
  await j1.close();
  const j2 = new KioskJournal(path, 'K001');
  await j2.open();
  t.teardown(() => j2.close());
  t.is(j2.nextTxnId().id, 'K001-00000003');
  t.deepEqual((await j2.loads.unfinished()).map((r) => r.id), ['K001-00000001', 'K001-00000002']);
});

test('every state of both load machines is reachable and the final ones are exactly those named', (t) => {
  for (const [spec, start, finals] of [
    [LOAD_MACHINE, 'created', ['abandoned', 'completed', 'declined', 'pending-load']],
    [GATEWAY_LOAD_MACHINE, 'received', ['completed', 'declined', 'rejected', 'reversed', 'tac-failed']],
  ] as const) {
    const transitions = spec.transitions as Record<string, readonly string[]>;
    const seen = new Set<string>([start]);
    const queue: string[] = [start];
    while (queue.length) for (const n of transitions[queue.shift()!]!) if (!seen.has(n)) (seen.add(n), queue.push(n));
    t.deepEqual([...seen].sort(), Object.keys(transitions).sort(), `${spec.name}: unreachable states`);
    t.deepEqual(Object.keys(transitions).filter((s) => transitions[s]!.length === 0).sort(), [...finals].sort());
  }
});

test('createAll writes every record and its side writes in one batch, or nothing when one id exists already', async (t) => {
  const store = new LevelStore(join(await tempDir(t), 'db'));
  await store.open();
  t.teardown(() => store.close());
  const m = new JournaledMachine<S, Rec>(store, 'x', SPEC);
  await m.create({ id: 't2', state: 'a' });
  await t.throwsAsync(m.createAll([{ id: 't1', state: 'a' }, { id: 't2', state: 'a' }], [{ type: 'put', key: 'side/batch', value: 1 }]), { code: 'TXN_STATE' });
  t.deepEqual((await m.all()).map((r) => r.id), ['t2']);
  t.is(await store.get('side/batch'), undefined);

  const made = await m.createAll([{ id: 't3', state: 'a' }, { id: 't4', state: 'b' }], [{ type: 'put', key: 'side/batch', value: 2 }]);
  t.deepEqual(made.map((r) => [r.id, r.state, r.history.length]), [['t3', 'a', 1], ['t4', 'b', 1]]);
  t.deepEqual((await m.all()).map((r) => r.id), ['t2', 't3', 't4']);
  t.is(await store.get('side/batch'), 2);
});
