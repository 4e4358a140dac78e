/**
 * The gateway's log of bank messages on a real LevelDB on disk: answer times of a campus business day (nearest-rank
 * p50/p99, overall and per hour; day bounds and hour starts written out as unix seconds, checked with `date -u -d`),
 * and retention. Messages are handed in through the link's hook with chosen times.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import type { LinkMessage } from '../../gateway/bank/bank-link.ts';
import { IsoJournal, percentile } from '../../gateway/bank/iso-journal.ts';
import { tempDir } from '../support/temp-dir.ts';

async function journal(t: ExecutionContext, now = new Date('2025-09-01T12:00:00Z')) {
  const store = new LevelStore(join(await tempDir(t), 'gw'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  return { store, iso: new IsoJournal(store, { log: silentLogger, now: () => now }) };
}

const answer = (at: string, answerMs?: number, campusRef?: string): LinkMessage => ({
  direction: answerMs === undefined ? 'sent' : 'received', at: new Date(at),
  view: { mti: '0810', op: 'signOn', kind: 'response', fields: [{ no: 11, name: 'system trace audit number', value: '000001' }] },
  ...(answerMs !== undefined ? { answerMs } : {}), ...(campusRef ? { campusRef } : {}),
});

function fill(iso: IsoJournal) {
  const tap = iso.tap('unionpay');
  tap(answer('2025-08-31T15:59:59.000Z', 999)); // 23:59:59 on 31 August in Shanghai: the day before
  tap(answer('2025-08-31T16:09:00.000Z')); // a request: no answer time
  tap(answer('2025-08-31T16:10:00.000Z', 40, 'T1'));
  tap(answer('2025-08-31T16:20:00.000Z', 10));
  tap(answer('2025-08-31T16:50:00.000Z', 30));
  tap(answer('2025-08-31T17:05:00.000Z', 100));
  tap(answer('2025-09-01T16:00:00.000Z', 999)); // 00:00 on 2 September in Shanghai: the day after
  iso.tap('boc')(answer('2025-08-31T16:30:00.000Z', 500));
}

test('nearest-rank percentiles', (t) => {
  t.is(percentile([], 50), null);
  t.is(percentile([7], 99), 7);
  t.is(percentile([10, 20, 30], 50), 20);
  t.is(percentile([10, 20, 30], 99), 30);
  t.is(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 50), 50);
  t.is(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 99), 99);
});

test("a campus day's answer times, overall and per hour, from that bank's answers only", async (t) => {
  const { iso } = await journal(t);
  fill(iso);
  const day = await iso.answerTimes('unionpay', 'Asia/Shanghai', '2025-09-01');
  t.like(day, { bankId: 'unionpay', date: '2025-09-01', count: 4, p50: 30, p99: 100 });
  t.is(day.hours.length, 24);
  t.deepEqual(day.hours[0], { start: 1756656000, count: 3, p50: 30, p99: 40 });
  t.deepEqual(day.hours[1], { start: 1756659600, count: 1, p50: 100, p99: 100 });
  t.deepEqual(day.hours[2], { start: 1756659600 + 3600, count: 0, p50: null, p99: null });
  // Without a date: the campus day of the journal's clock (12:00Z on 1 September is 20:00 in Shanghai).
  t.like(await iso.answerTimes('unionpay', 'Asia/Shanghai'), { date: '2025-09-01', count: 4 });
});

test('a day the clocks go back has 25 hours', async (t) => {
  const { iso } = await journal(t);
  const day = await iso.answerTimes('unionpay', 'America/New_York', '2025-11-02');
  t.is(day.hours.length, 25);
  t.is(day.hours[0]!.start, 1762056000);
  t.like(day, { count: 0, p50: null, p99: null });
});

test('messages older than the retention are pruned with their transaction index', async (t) => {
  const { store, iso } = await journal(t, new Date('2025-10-01T16:00:00.000Z'));
  fill(iso);
  t.is((await iso.forTxn('T1')).length, 1);
  t.is(iso.retentionDays, 30);
  t.is(await iso.prune(), 7);
  t.deepEqual(await iso.forTxn('T1'), []);
  const left = await store.list<unknown>('iso/');
  t.is(left.length, 2); // the message of 2 September and its time index entry
  t.deepEqual((await iso.forBank('unionpay')).map((e) => e.at), ['2025-09-01T16:00:00.000Z']);
  t.is(await iso.prune(), 0);
});
