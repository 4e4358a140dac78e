/**
 * The kiosk outbox on its own: entries come with the journal state that produces them (same batch), go out strictly
 * in order, each removed only once the sink acknowledged it, nothing tried while the sink is offline, and an entry
 * that can never be sent is set aside instead of blocking the others.
 */
import test from 'ava';
import { join } from 'node:path';
import type { EventKind, EventPayload } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import { silentLogger } from '../../common/log.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import type { EventSink } from '../../runtime/outbox/outbox.ts';
import { tempDir } from '../support/temp-dir.ts';

async function journal(t: import('ava').ExecutionContext): Promise<KioskJournal> {
  const j = new KioskJournal(join(await tempDir(t), 'journal'), 'K001', silentLogger);
  await j.open();
  t.teardown(() => j.close());
  return j;
}

/** A sink that acknowledges, or fails with `failWith`, and records what it was given. */
function sink(online = true) {
  const sent: string[] = [];
  let failWith: QuancunError | null = null;
  const s: EventSink & { sent: string[]; online: boolean; fail(e: QuancunError | null): void } = {
    sent,
    online,
    fail: (e) => void (failWith = e),
    async publishEvent<K extends EventKind>(_kind: K, payload: EventPayload<K>) {
      const id = (payload as EventPayload<'txn'>).txnId;
      if (failWith) throw failWith;
      sent.push(id);
    },
  };
  return s;
}

const ids = async (j: KioskJournal) => (await j.outbox.pending()).map((e) => (e.payload as EventPayload<'txn'>).txnId);

test('a final load state brings its report in the same write; other states bring none', async (t) => {
  const j = await journal(t);
  let rec = await j.loads.create({ id: 'K001-00000001', state: 'created', kind: 'load', amount: 5000, terminalId: '000000000001', asn: '31030000002023010001' });
  rec = await j.loads.advance(rec, 'authorizing');
  t.deepEqual(await j.outbox.pending(), []);
  const writes = j.store.syncedWrites;
  rec = await j.loads.advance(rec, 'declined', { code: 'PIN_WRONG', outcome: 'not-debited' });
  t.is(j.store.syncedWrites, writes + 1, 'one synced write for the state and its report');
  t.deepEqual(await j.outbox.pending(), [{
    kind: 'txn',
    payload: { txnId: 'K001-00000001', kind: 'load', state: 'declined', amount: 5000, at: rec.updatedAt, code: 'PIN_WRONG', outcome: 'not-debited' },
  }]);
});

test('a collect (a pending load written onto the card) is reported with the load it wrote and the card\'s TAC', async (t) => {
  const j = await journal(t);
  let rec = await j.collects.create({
    id: 'K001-00000002', state: 'checking', kind: 'collect', pendingId: 'K002-00000007', amount: 3000, terminalId: '000000000001',
    asn: '31030000002023010001', onlineCounter: 4, cardBefore: 1000,
  });
  rec = await j.collects.advance(rec, 'credited', { tac: '1A2B3C4D', cardAfter: 4000, via: 'proof' });
  t.deepEqual(await j.outbox.pending(), []);
  rec = await j.collects.advance(rec, 'completed', { tacVerified: true });
  t.deepEqual(await j.outbox.pending(), [{
    kind: 'txn',
    payload: { txnId: 'K001-00000002', kind: 'collect', state: 'completed', amount: 3000, at: rec.updatedAt, tac: '1A2B3C4D', pendingId: 'K002-00000007' },
  }]);
});

test('drained strictly in order; a failure keeps that entry and everything behind it for the next drain', async (t) => {
  const j = await journal(t);
  const event = (n: number): EventPayload<'txn'> => ({ txnId: `T${n}`, kind: 'load', state: 'completed', amount: n, at: '2026-01-01T00:00:00.000Z', tac: '0A0B0C0D' });
  await j.store.batch([1, 2, 3].map((n) => j.outbox.appendOp('txn', event(n))));
  const s = sink();
  s.fail(new QuancunError('LINK_OFFLINE', 'connection lost before the PUBACK'));
  await j.outbox.drain(s);
  t.deepEqual(s.sent, []);
  t.deepEqual(await ids(j), ['T1', 'T2', 'T3']);

  s.online = false;
  s.fail(null);
  await j.outbox.drain(s);
  t.deepEqual(s.sent, [], 'nothing tried while offline');

  s.online = true;
  await j.outbox.drain(s);
  t.deepEqual(s.sent, ['T1', 'T2', 'T3']);
  t.deepEqual(await ids(j), []);

  // Numbering goes on after a restart, behind what is still waiting.
  await j.store.batch([j.outbox.appendOp('txn', event(4))]);
  await j.close();
  const again = new KioskJournal(j.store.path, 'K001', silentLogger);
  await again.open();
  t.teardown(() => again.close());
  await again.store.batch([again.outbox.appendOp('txn', event(5))]);
  t.deepEqual(await ids(again), ['T4', 'T5']);
});

test('an entry the API refuses is set aside with its content and does not hold back the next', async (t) => {
  const j = await journal(t);
  const ok: EventPayload<'txn'> = { txnId: 'T2', kind: 'load', state: 'completed', amount: 1, at: '2026-01-01T00:00:00.000Z' };
  await j.store.batch([j.outbox.appendOp('txn', { ...ok, txnId: 'T1' }), j.outbox.appendOp('txn', ok)]);
  const s = sink();
  let first = true;
  const publish = s.publishEvent.bind(s);
  s.publishEvent = async (kind, payload) => {
    if (first) {
      first = false;
      throw new QuancunError('LINK_BAD_MESSAGE', 'txn event: at: Invalid ISO datetime');
    }
    return publish(kind, payload);
  };
  await j.outbox.drain(s);
  t.deepEqual(s.sent, ['T2']);
  t.deepEqual(await ids(j), []);
  t.deepEqual((await j.store.list<{ payload: { txnId: string } }>('outbox-rejected/')).map((e) => e.value.payload.txnId), ['T1']);
});
