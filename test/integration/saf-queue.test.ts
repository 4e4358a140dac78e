/**
 * The reversal queue on its own, over a real journal: it resumes every `reversing` record at start and nothing else,
 * waits twice as long after each failed try up to its cap (a try whose journal could not be read too), never runs two
 * tries of one reversal at once, and stops trying at stop with the record still owed in the journal.
 */
import test from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { ReversalQueue } from '../../gateway/saf/reversal-queue.ts';
import { tempDir } from '../support/temp-dir.ts';

type Loads = JournaledMachine<GatewayLoadState, GatewayLoadRecord>;

async function journal(t: import('ava').ExecutionContext): Promise<Loads> {
  const store = new LevelStore(join(await tempDir(t), 'gateway'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  return new JournaledMachine(store, 'gw/load', GATEWAY_LOAD_MACHINE);
}

/** A load record walked to `path`'s last state. */
async function load(loads: Loads, id: string, path: GatewayLoadState[]): Promise<GatewayLoadRecord> {
  let rec = await loads.create({
    id, state: 'received', kioskId: 'K001', campusAccount: '1001', asn: '31030000002023010001', amount: 5000, terminalId: '000000000001',
    oldBalance: 1000, onlineCounter: 1, random: '01020304',
  });
  for (const state of path) rec = await loads.advance(rec, state, state === 'reversing' ? { reversalReason: '98' } : {});
  return rec;
}

test('start resumes each reversing record only; waits double after each failed try, up to the cap', async (t) => {
  const loads = await journal(t);
  await load(loads, 'OWED', ['bank-pending', 'reversing']);
  await load(loads, 'DONE', ['bank-pending', 'approved', 'mac2-issued']);
  await load(loads, 'GONE', ['bank-pending', 'reversing', 'reversed']);
  const sent: string[] = [];
  const queue = new ReversalQueue({
    records: loads, log: silentLogger, retry: { minMs: 1, maxMs: 4 },
    async send(record) {
      sent.push(record.id);
      if (sent.length < 5) return false;
      await loads.advance(record, 'reversed');
      return true;
    },
  });
  t.teardown(() => queue.stop());
  const delays: number[] = [];
  queue.on('failed', (_id, _attempts, delayMs) => delays.push(delayMs));
  const confirmed = once(queue, 'confirmed');
  await queue.start();
  t.deepEqual(await confirmed, ['OWED', 5]);
  t.deepEqual(sent, ['OWED', 'OWED', 'OWED', 'OWED', 'OWED']);
  t.deepEqual(delays, [1, 2, 4, 4]);
  t.deepEqual(queue.pending, []);
  t.is((await loads.require('OWED')).state, 'reversed');
  t.true(await queue.owe('OWED'), 'already reversed: answered from the journal, nothing sent');
  t.is(sent.length, 5);
});

test('two asks for the same reversal while a try runs share that try; stop leaves it owed', async (t) => {
  const loads = await journal(t);
  await load(loads, 'OWED', ['bank-pending', 'reversing']);
  let release!: (ok: boolean) => void;
  let sending!: () => void;
  const sent = new Promise<void>((resolve) => (sending = resolve));
  let tries = 0;
  const queue = new ReversalQueue({
    records: loads, log: silentLogger, retry: { minMs: 60_000 },
    send: () => (tries++, sending(), new Promise<boolean>((resolve) => (release = resolve))),
  });
  const first = queue.owe('OWED');
  const second = queue.owe('OWED');
  await sent;
  release(false);
  t.deepEqual(await Promise.all([first, second]), [false, false]);
  t.is(tries, 1);
  t.deepEqual(queue.pending, ['OWED'], 'queued for its next try');
  await queue.stop();
  t.false(await queue.owe('OWED'), 'a stopped queue sends nothing');
  t.is(tries, 1);
  t.is((await loads.require('OWED')).state, 'reversing', 'still owed in the journal for the next start');
});

test('a try whose journal could not be read is tried again after the backoff, not dropped until the next start', async (t) => {
  const store = new LevelStore(join(await tempDir(t), 'gateway'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  const loads: Loads = new JournaledMachine(store, 'gw/load', GATEWAY_LOAD_MACHINE);
  await load(loads, 'OWED', ['bank-pending', 'reversing']);
  const queue = new ReversalQueue({
    records: loads, log: silentLogger, retry: { minMs: 20, maxMs: 20 },
    async send(record) {
      await loads.advance(record, 'reversed');
      return true;
    },
  });
  t.teardown(() => queue.stop());
  // The store refuses reads (closed here, as a disk or a database connection that fails) when the try starts.
  await store.close();
  const failed = once(queue, 'failed');
  t.false(await queue.owe('OWED'));
  t.deepEqual(await failed, ['OWED', 0, 20]);
  const confirmed = once(queue, 'confirmed');
  await store.open();
  t.deepEqual(await confirmed, ['OWED', 1]);
  t.is((await loads.require('OWED')).state, 'reversed');
});

test('a load left bank-pending or approved (its MAC2 never out) is journaled reversing first, at start and when named; no other state is touched', async (t) => {
  const loads = await journal(t);
  await load(loads, 'PENDING', ['bank-pending']);
  await load(loads, 'APPROVED', ['bank-pending', 'approved']);
  await load(loads, 'ISSUED', ['bank-pending', 'approved', 'mac2-issued']);
  const sent: Array<[string, string | undefined, string | undefined]> = [];
  const queue = new ReversalQueue({
    records: loads, log: silentLogger, retry: { minMs: 1, maxMs: 4 },
    left: { 'bank-pending': { reason: '98', code: 'BANK_TIMEOUT' }, approved: { reason: '96', code: 'INTERNAL' } },
    async send(record) {
      sent.push([record.id, record.reversalReason, record.code]);
      await loads.advance(record, 'reversed');
      return true;
    },
  });
  t.teardown(() => queue.stop());
  await queue.start();
  const reversedAtStart = await Promise.all(['PENDING', 'APPROVED'].map((id) => queue.owe(id)));
  t.deepEqual(reversedAtStart, [true, true]);
  t.deepEqual(sent.sort(), [['APPROVED', '96', 'INTERNAL'], ['PENDING', '98', 'BANK_TIMEOUT']]);
  t.is((await loads.require('ISSUED')).state, 'mac2-issued', 'a MAC2 issued may be on the card: never reversed from here');

  // While running: the authorization's store refused the write after `approved`; named with the code the kiosk heard.
  await load(loads, 'LEFT', ['bank-pending', 'approved']);
  t.true(await queue.owe('LEFT', 'JOURNAL_UNAVAILABLE'));
  t.deepEqual(sent.at(-1), ['LEFT', '96', 'JOURNAL_UNAVAILABLE']);
  t.false(await queue.owe('ISSUED', 'JOURNAL_UNAVAILABLE'), 'mac2-issued is not a state a load is left in');
  t.is((await loads.require('ISSUED')).state, 'mac2-issued');
  t.is(sent.length, 3);
});
