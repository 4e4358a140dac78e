/**
 * Kiosk K001's births, wills and telemetry on a real Mosquitto, read with the test's own client: each connection's
 * birth has a larger seq (across a restart too) and its will repeats it; a stale will published by the test after a
 * fresh birth does not take the kiosk offline at the gateway's endpoint; the telemetry event carries its figures and
 * its counters move with a load and a refusal; a fault that cleared while the link was down still gets its partner.
 * Figures from config/embedded.json: 张三's card 10.00, PIN 123456.
 */
import test from 'ava';
import { once } from 'node:events';
import { GatewayEndpoint } from '../../gateway/link/gateway-endpoint.ts';
import { campusTime } from '../../common/campus-time.ts';
import type { KioskState } from '../../common/api/topics.ts';
import { CLEARED_TOPIC, FAULT_TOPIC, STATE_TOPIC, TELEMETRY_TOPIC, watchKiosk } from '../support/kiosk-watch.ts';
import { loadAtKiosk, startCommandKiosk } from '../support/command-kiosk.ts';

test('every birth has a larger seq, across a reconnect and a restart; the will repeats it; a stale will does not overtake a birth', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const endpoint = new GatewayEndpoint({ url: k.brokerUrl, identity: 'gateway.test-endpoint', version: 'test' });
  const seen: Array<KioskState | undefined> = [];
  endpoint.on('kiosk-state', (id, state) => id === 'K001' && seen.push(state));
  await endpoint.start();
  t.teardown(() => endpoint.stop());

  // The number of the connection up now, as its births on the broker carry it.
  const first = { seq: k.assembled.kiosk.link.seq };
  await k.watch.next(STATE_TOPIC, { online: true, mode: 'in-service', seq: first.seq });
  k.cable.unplug();
  t.like(await k.watch.next(STATE_TOPIC, { online: false }), { mode: 'offline', reason: 'connection lost', seq: first.seq });
  k.cable.replug();
  const second = await k.watch.next(STATE_TOPIC, (s) => s.online === true && s.seq !== first.seq);
  t.like(second, { mode: 'in-service' });
  t.true((second.seq as number) > first.seq, `${second.seq} > ${first.seq}`);

  // The first connection's will, arriving late: the endpoint keeps the kiosk online. A will of the present
  // connection (same seq as its birth) is taken.
  await endpointSees(endpoint, seen, (s) => s?.online === true && s.seq === second.seq);
  const will = { online: false, mode: 'offline', since: new Date().toISOString(), version: 'test', reason: 'connection lost' };
  await k.watch.client.publishAsync(STATE_TOPIC, JSON.stringify({ ...will, seq: first.seq }), { qos: 1, retain: true });
  await k.watch.client.publishAsync(STATE_TOPIC, JSON.stringify({ ...will, seq: second.seq }), { qos: 1, retain: true });
  await endpointSees(endpoint, seen, (s) => s?.online === false);
  t.deepEqual(seen.slice(-2).map((s) => [s?.online, s?.seq]), [[true, second.seq], [false, second.seq]], 'the stale will was ignored');

  // A restart: the stop says so with the present seq, the new process's birth is larger still.
  await k.assembled.stop();
  t.like(await k.watch.next(STATE_TOPIC, { online: false, reason: 'stopped' }), { seq: second.seq });
  // A watcher from here on sees the retained 'stopped' state, then only the new process's messages.
  const fresh = await watchKiosk(t, k.brokerUrl, [STATE_TOPIC]);
  await k.rebuild();
  const third = await fresh.next(STATE_TOPIC, { online: true });
  t.like(third, { mode: 'in-service' });
  t.true((third.seq as number) > (second.seq as number), `${third.seq} > ${second.seq}`);
});

test('telemetry carries its figures every interval, and its counters move with a load and a refusal', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  k.assembled.devices.sim.i2c!.lm75.setCelsius(36.5);
  const first = await k.watch.next(TELEMETRY_TOPIC, (m) => m.temperatureC === 36.5);
  t.like(first, {
    version: 'test', paper: 'ok', door: 'closed', outboxDepth: 0, journal: { openRecords: 0 },
    devices: { 'card-reader': { ok: true }, 'pin-pad': { ok: true }, 'receipt-printer': { ok: true }, door: { ok: true }, journal: { ok: true } },
    today: { date: campusTime(new Date(), 'Asia/Shanghai').date, loads: { count: 0, amount: 0 }, refusals: {}, collects: { count: 0, amount: 0 } },
  });
  const memory = first.memory as Record<string, number>;
  t.true(memory.rssBytes! > memory.heapUsedBytes! && memory.heapUsedBytes! > 0);
  t.true(Number.isFinite((first.eventLoopDelayMs as { p99: number }).p99));

  const done = await loadAtKiosk(k, 5000);
  t.like(done, { state: 'completed' });
  t.like(await loadAtKiosk(k, 2000, '000000'), { code: 'PIN_WRONG' });
  const after = await k.watch.next(TELEMETRY_TOPIC, (m) => (m.today as { loads: { count: number } }).loads.count === 1
    && Object.keys((m.today as { refusals: object }).refusals).length === 1);
  t.like(after, { today: { loads: { count: 1, amount: 5000 }, refusals: { PIN_WRONG: 1 } }, lastMoneyStep: { kind: 'load', step: 'declined' } });
  t.false(JSON.stringify(after).includes('31030000002023010001'), 'no card number');

  k.assembled.devices.sim.printer!.setPaper('out');
  await k.watch.next(TELEMETRY_TOPIC, { paper: 'out' });
});

test('a fault that clears while the link is down gets its fault-cleared when the link is back', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const printer = k.assembled.devices.sim.printer!;
  printer.setPaper('out');
  t.like(await k.watch.next(FAULT_TOPIC, { device: 'receipt-printer' }), { code: 'PRINTER_PAPER_OUT' });
  k.cable.unplug();
  await k.watch.next(STATE_TOPIC, { online: false });
  const ready = once(k.assembled.devices.printer!, 'ready');
  printer.setPaper('ok');
  await ready;
  t.false(k.assembled.kiosk.status.faults.has('receipt-printer'));
  k.cable.replug();
  await k.watch.next(CLEARED_TOPIC, { device: 'receipt-printer' });
  t.pass();
});

/** Resolves once the endpoint's latest K001 state (already seen, or the next ones it emits) is one `match` accepts. */
function endpointSees(endpoint: GatewayEndpoint, seen: Array<KioskState | undefined>, match: (s: KioskState | undefined) => boolean): Promise<void> {
  if (seen.length > 0 && match(seen.at(-1))) return Promise.resolve();
  return new Promise((resolve) => {
    const on = (id: string, state: KioskState | undefined) => {
      if (id !== 'K001' || !match(state)) return;
      endpoint.off('kiosk-state', on);
      resolve();
    };
    endpoint.on('kiosk-state', on);
  });
}
