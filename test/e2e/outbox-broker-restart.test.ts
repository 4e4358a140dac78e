/**
 * The kiosk's outbox across a Mosquitto outage. Outcomes journaled while the broker is down wait in each kiosk's
 * outbox (nothing is published into the void); once the broker is back each kiosk drains its outbox in the order it
 * was written (also after the kiosk itself restarted meanwhile), and the gateway keeps each report once: a copy
 * delivered again changes nothing.
 */
import test from 'ava';
import { once } from 'node:events';
import mqtt from 'mqtt';
import { topics, type EventPayload } from '../../common/api/topics.ts';
import type { TxnReport } from '../../gateway/events/txn-reports.ts';
import type { OutboxEntry } from '../../runtime/outbox/outbox.ts';
import type { SimKiosk } from '../../sim/embedded-system.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { restartKiosk, startTestSystem, type TestSystem } from '../support/kiosk-system.ts';

// config/embedded.json: 张三 and 李四, their cards and PINs.
const ZHANG = { asn: '31030000002023010001', pin: '123456' };
const LI = { asn: '31030000002023010002', pin: '654321' };

/** Resolves once the gateway has recorded `count` reports in all. */
function reportsReach(system: TestSystem, seen: TxnReport[], count: number): Promise<void> {
  return new Promise((resolve) => {
    const check = () => seen.length >= count && (system.gateway.reports.off('recorded', check), resolve());
    system.gateway.reports.on('recorded', check);
    check();
  });
}

const txnIdsOf = (entries: OutboxEntry[]) => entries.map((e) => (e.payload as EventPayload<'txn'>).txnId);

/** A load started while online, held at the PIN pad: the cardholder has not typed yet. */
async function loadAtPinEntry(system: TestSystem, sim: SimKiosk, asn: string) {
  sim.reader!.insert(system.cards.get(asn)!);
  const session = await sim.kiosk.openSession();
  const lit = once(sim.keypad, 'entry');
  const outcome = sim.kiosk.load(session, 1000);
  await lit;
  return { outcome }; // wrapped: an async function returning the promise would wait for it
}

test('Mosquitto stopped: outcomes wait in the outboxes, drain in order once it is back, and the gateway keeps each once', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const system = await startTestSystem(t, { mqttUrl: broker.url, kioskIds: ['K001', 'K002'] });
  const [k1, k2] = [system.kiosks.get('K001')!, system.kiosks.get('K002')!];
  const seen: TxnReport[] = [];
  system.gateway.reports.on('recorded', (r) => seen.push(r));

  const a = await runLoadScenario(system, { kioskId: 'K001', amount: 5000, asn: ZHANG.asn, ...scenarioAccounts(system.loaded.config) });
  t.is(a.state, 'completed');
  await reportsReach(system, seen, 1);
  const tacA = (await system.gateway.loads.loads.require(a.txnId!)).tac;
  t.like(seen[0], { kioskId: 'K001', event: { txnId: a.txnId, kind: 'load', state: 'completed', amount: 5000, tac: tacA } });

  // Two loads wait at the PIN pad; the broker goes; the cards are taken away before the PIN is confirmed.
  const loadB = (await loadAtPinEntry(system, k1, ZHANG.asn)).outcome;
  const loadC = (await loadAtPinEntry(system, k2, LI.asn)).outcome;
  const offline = Promise.all([once(k1.kiosk.link, 'offline'), once(k2.kiosk.link, 'offline')]);
  await broker.stop();
  await offline;
  for (const [sim, pin] of [[k1, ZHANG.pin], [k2, LI.pin]] as const) {
    sim.reader!.remove();
    sim.keypad.type(pin);
    sim.keypad.enter();
  }
  const [b, c] = await Promise.all([loadB, loadC]);
  t.like(b, { state: 'abandoned', code: 'CARD_REMOVED' });
  t.like(c, { state: 'abandoned', code: 'CARD_REMOVED' });
  // Offline, nothing that needs the gateway or the bank starts.
  k1.reader!.insert(system.cards.get(ZHANG.asn)!);
  await t.throwsAsync(k1.kiosk.openSession(), { code: 'LINK_OFFLINE' });
  k1.reader!.remove();

  // More reports behind B, so the drain has an order to keep.
  const later: Array<EventPayload<'txn'>> = [1, 2].map((n) => ({
    txnId: `K001-ORDER-${n}`, kind: 'load', state: 'declined', amount: n, at: '2026-01-01T00:00:00.000Z', code: 'BANK_DECLINED',
  }));
  await k1.kiosk.journal.store.batch(later.map((e) => k1.kiosk.journal.outbox.appendOp('txn', e)));
  t.deepEqual(txnIdsOf(await k1.kiosk.journal.outbox.pending()), [b.txnId, 'K001-ORDER-1', 'K001-ORDER-2']);
  t.deepEqual(txnIdsOf(await k2.kiosk.journal.outbox.pending()), [c.txnId]);
  t.is(seen.length, 1, 'nothing reached the gateway while the broker was down');

  // K001 restarts (a power cut) while the broker is still down: its outbox is on disk, not in memory.
  const k1b = await restartKiosk(t, system, 'K001');
  await k1b.kiosk.start();
  t.deepEqual(txnIdsOf(await k1b.kiosk.journal.outbox.pending()), [b.txnId, 'K001-ORDER-1', 'K001-ORDER-2']);

  const online = Promise.all([once(k1b.kiosk.link, 'online'), once(k2.kiosk.link, 'online')]);
  await broker.restart();
  await online;
  await reportsReach(system, seen, 5);
  const fromK1 = seen.filter((r) => r.kioskId === 'K001').map((r) => r.event.txnId);
  t.deepEqual(fromK1, [a.txnId, b.txnId, 'K001-ORDER-1', 'K001-ORDER-2'], 'in the order the kiosk wrote them');
  t.deepEqual(seen.filter((r) => r.kioskId === 'K002').map((r) => r.event.txnId), [c.txnId]);
  t.like(seen.find((r) => r.event.txnId === b.txnId), { event: { state: 'abandoned', code: 'CARD_REMOVED', amount: 1000 } });
  await Promise.all([k1b.kiosk.recover(), k2.kiosk.recover()]);
  t.deepEqual(await k1b.kiosk.journal.outbox.pending(), [], 'each entry removed once the broker acknowledged it');
  t.deepEqual(await k2.kiosk.journal.outbox.pending(), []);

  // The same report delivered again (a kiosk that crashed between the PUBACK and removing it): nothing changes.
  const kept = await system.gateway.reports.all();
  t.deepEqual(kept.map((r) => r.event.txnId).sort(), [a.txnId, b.txnId, c.txnId, 'K001-ORDER-1', 'K001-ORDER-2'].sort());
  const again = await mqtt.connectAsync(broker.url, { protocolVersion: 4 });
  t.teardown(() => again.endAsync());
  const duplicate = once(system.gateway.reports, 'duplicate');
  await again.publishAsync(topics.event('K001', 'txn'), JSON.stringify(seen.find((r) => r.event.txnId === b.txnId)!.event), { qos: 1 });
  t.deepEqual(await duplicate, ['K001', b.txnId]);
  t.deepEqual(await system.gateway.reports.all(), kept);
});
