/**
 * The health check's judgement of the reversal queue, with the clock in the test's hand: a queue that stops trying
 * cannot be made from the real one without breaking it, so a stand-in announces tries as ReversalQueue does. The
 * journal check writes to a real LevelDB store on disk.
 */
import test from 'ava';
import { EventEmitter } from 'node:events';
import { join } from 'node:path';
import { LevelStore } from '../../common/store/level-store.ts';
import { GatewayHealth, type HealthOptions } from '../../gateway/metrics/health.ts';
import { tempDir } from '../support/temp-dir.ts';

test('owed reversals: ok while tried, degraded after the attention count, failing once a try is two minutes overdue', async (t) => {
  const store = new LevelStore(join(await tempDir(t), 'gateway'));
  await store.open();
  t.teardown(() => store.close());
  const queue = Object.assign(new EventEmitter(), { pending: [] as string[] });
  let now = 1_000_000;
  const health = new GatewayHealth({
    store, endpoint: { connected: true } as HealthOptions['endpoint'], reversals: queue as unknown as HealthOptions['reversals'],
    banks: new Map(), attentionAfter: 3, now: () => now,
  });
  const reversals = async () => (await health.check()).checks.reversals;

  t.like(await reversals(), { status: 'ok', detail: 'no reversal owed' });
  queue.pending = ['K001-00000007'];
  t.like(await reversals(), { status: 'ok', detail: '1 reversal(s) owed, being tried' });
  queue.emit('failed', 'K001-00000007', 3, 8_000);
  t.like(await health.check(), { status: 'degraded', reasons: ['1 of 1 owed reversal(s) unconfirmed after 3 or more tries; the queue keeps trying'] });
  now += 8_000 + 120_000; // due, plus the two minutes a try may take
  t.like(await reversals(), { status: 'degraded' });
  now += 1;
  t.like(await health.check(), { status: 'failing', reasons: ['the reversal queue is stuck: 1 owed reversal(s) not tried again when due'] });
  queue.emit('failed', 'K001-00000007', 4, 16_000);
  t.like(await reversals(), { status: 'degraded' });
  queue.emit('confirmed', 'K001-00000007', 5);
  queue.pending = [];
  t.like(await health.check(), { status: 'ok', reasons: [] });
});
