/**
 * KioskLink <-> GatewayEndpoint through a real broker, on every broker in test/support/brokers.ts.
 * Each test gets its own broker: gateways subscribe to every kiosk's requests, so tests must not share one.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import mqtt, { type MqttClient } from 'mqtt';
import { QuancunError } from '../../common/errors.ts';
import { events, operations, type OpResponse } from '../../common/api/topics.ts';
import type { LinkLog } from '../../common/mqtt/connect.ts';
import { KioskLink, type KioskLinkOptions } from '../../runtime/link/kiosk-link.ts';
import { GatewayEndpoint } from '../../gateway/link/gateway-endpoint.ts';
import { brokers, type BrokerFactory, type TestBroker } from '../support/brokers.ts';

const VERSION = '0.1.0-test';
const ASN = '10000000000000012345';
const ID = '3f1e9c1a-6b2d-4c8e-9a57-0d4f2b8e6c11';

interface LogEntry {
  level: 'info' | 'warn' | 'error';
  msg: string;
  fields?: object;
}

function recordingLog(): { log: LinkLog; entries: LogEntry[] } {
  const entries: LogEntry[] = [];
  const at = (level: LogEntry['level']) => (msg: string, fields?: object) => void entries.push({ level, msg, fields });
  return { log: { info: at('info'), warn: at('warn'), error: at('error') }, entries };
}

function deferred(): { promise: Promise<void>; resolve(): void } {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

async function startBroker(t: ExecutionContext, factory: BrokerFactory): Promise<TestBroker> {
  const broker = await factory.start();
  t.teardown(() => broker.stop());
  return broker;
}

async function startGateway(
  t: ExecutionContext,
  url: string,
  setup: (gateway: GatewayEndpoint) => void,
  log?: LinkLog,
): Promise<GatewayEndpoint> {
  const gateway = new GatewayEndpoint({ url, identity: 'gateway.test', version: VERSION, reconnectPeriodMs: 100, log });
  setup(gateway);
  await gateway.start();
  t.teardown(() => gateway.stop());
  return gateway;
}

/** Resolves once the kiosk is online: connected, and the gateway's retained state says online. */
async function startKiosk(t: ExecutionContext, url: string, kioskId: string, opts: Partial<KioskLinkOptions> = {}): Promise<KioskLink> {
  const link = new KioskLink({ url, kioskId, version: VERSION, reconnectPeriodMs: 100, ...opts });
  const online = once(link, 'online');
  await link.start();
  t.teardown(() => link.stop());
  await online;
  return link;
}

/** A client of the test's own with an identity of common/api/access.ts (the embedded broker holds it to its role). */
async function rawClient(t: ExecutionContext, url: string, identity: string): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: identity, username: identity });
  t.teardown(() => client.endAsync());
  return client;
}

interface Received {
  topic: string;
  json: any;
  retain: boolean;
}

/** The next message on `topic` that `match` accepts. Call before subscribing, so a retained message is not missed. */
function nextMessage(client: MqttClient, topic: string, match: (json: any) => boolean = () => true): Promise<Received> {
  return new Promise((resolve) => {
    const onMessage = (received: string, payload: Buffer, packet: { retain: boolean }) => {
      const json = JSON.parse(payload.toString());
      if (received !== topic || !match(json)) return;
      client.off('message', onMessage);
      resolve({ topic: received, json, retain: packet.retain });
    };
    client.on('message', onMessage);
  });
}

function withoutSince(state: Record<string, unknown>): Record<string, unknown> {
  const { since, ...rest } = state;
  return typeof since === 'string' && !Number.isNaN(Date.parse(since)) ? rest : state;
}

const statusOf = (txnId: string): OpResponse<'txn.status'> => ({ txnId, state: 'completed', amount: 10000, final: true });

for (const factory of brokers) {
  const title = (what: string) => `${factory.name}: ${what}`;

  test(title('a request goes out on its exact topic and the handler\'s answer comes back'), async (t) => {
    const broker = await startBroker(t, factory);
    const calls: { kioskId: string; data: unknown; id: string }[] = [];
    await startGateway(t, broker.url, (gw) =>
      gw.handle('card.lookup', async (kioskId, data, meta) => {
        calls.push({ kioskId, data, id: meta.id });
        return operations['card.lookup'].example.response;
      }),
    );
    const sniffer = await rawClient(t, broker.url, 'gateway.sniffer');
    const sniffed = nextMessage(sniffer, 'quancun/v1/kiosk/JX-A101/request/card.lookup');
    await sniffer.subscribeAsync('quancun/v1/kiosk/+/request/+', { qos: 1 });
    const link = await startKiosk(t, broker.url, 'JX-A101');
    t.true(link.online);

    const answer = await link.request('card.lookup', { asn: ASN });

    t.deepEqual(answer, operations['card.lookup'].example.response);
    t.is(calls.length, 1);
    t.deepEqual(calls[0], { kioskId: 'JX-A101', data: { asn: ASN }, id: calls[0]!.id });
    const { json } = await sniffed;
    t.deepEqual(json, { id: calls[0]!.id, kioskId: 'JX-A101', op: 'card.lookup', sentAt: json.sentAt, data: { asn: ASN } });
    t.regex(json.id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    t.false(Number.isNaN(Date.parse(json.sentAt)));
  });

  test(title('one kiosk\'s requests are answered in order while another kiosk is served meanwhile'), async (t) => {
    const broker = await startBroker(t, factory);
    const gate = deferred();
    const trace: string[] = [];
    await startGateway(t, broker.url, (gw) =>
      gw.handle('txn.status', async (kioskId, { txnId }) => {
        trace.push(`start ${kioskId} ${txnId}`);
        if (txnId === 'slow') await gate.promise;
        trace.push(`end ${kioskId} ${txnId}`);
        return statusOf(txnId);
      }),
    );
    const sniffer = await rawClient(t, broker.url, 'gateway.sniffer');
    const fastSent = nextMessage(sniffer, 'quancun/v1/kiosk/K-A/request/txn.status', (json) => json.data.txnId === 'fast');
    await sniffer.subscribeAsync('quancun/v1/kiosk/+/request/+', { qos: 1 });
    const a = await startKiosk(t, broker.url, 'K-A');
    const b = await startKiosk(t, broker.url, 'K-B');

    const answered: string[] = [];
    const slow = a.request('txn.status', { txnId: 'slow' }).then((r) => answered.push(r.txnId));
    const fast = a.request('txn.status', { txnId: 'fast' }).then((r) => answered.push(r.txnId));
    // Once the broker has routed 'fast', it reaches the gateway before anything published after it.
    await fastSent;
    t.deepEqual(await b.request('txn.status', { txnId: 'other' }), statusOf('other'));
    t.deepEqual(trace, ['start K-A slow', 'start K-B other', 'end K-B other'], 'K-A fast waits behind K-A slow, K-B does not');

    gate.resolve();
    await Promise.all([slow, fast]);
    t.deepEqual(answered, ['slow', 'fast']);
    t.deepEqual(trace.slice(3), ['end K-A slow', 'start K-A fast', 'end K-A fast']);
  });

  test(title('a handler\'s QuancunError reaches the kiosk with its code; any other throw is INTERNAL and logged'), async (t) => {
    const broker = await startBroker(t, factory);
    const { log, entries } = recordingLog();
    await startGateway(
      t,
      broker.url,
      (gw) => {
        gw.handle('load.authorize', async () => {
          throw new QuancunError('BANK_DECLINED', 'declined by the issuing bank');
        });
        gw.handle('load.confirm', async () => {
          throw new TypeError('ledger is undefined');
        });
      },
      log,
    );
    const link = await startKiosk(t, broker.url, 'JX-A101');

    await t.throwsAsync(link.request('load.authorize', operations['load.authorize'].example.request), {
      instanceOf: QuancunError,
      code: 'BANK_DECLINED',
      message: 'declined by the issuing bank',
    });
    await t.throwsAsync(link.request('load.confirm', operations['load.confirm'].example.request), {
      instanceOf: QuancunError,
      code: 'INTERNAL',
      message: 'Internal error, contact the service centre',
    });
    const errors = entries.filter((e) => e.level === 'error');
    t.is(errors.length, 1);
    t.like(errors[0], { msg: 'handler failed', fields: { kioskId: 'JX-A101', op: 'load.confirm', error: 'ledger is undefined' } });
  });

  test(title('a bad payload is LINK_BAD_MESSAGE: refused before sending, or answered so by the gateway'), async (t) => {
    const broker = await startBroker(t, factory);
    const { log, entries } = recordingLog();
    const lookups: string[] = [];
    await startGateway(
      t,
      broker.url,
      (gw) =>
        gw.handle('card.lookup', async (kioskId) => {
          lookups.push(kioskId);
          return operations['card.lookup'].example.response;
        }),
      log,
    );
    const link = await startKiosk(t, broker.url, 'JX-A101');
    await t.throwsAsync(link.request('card.lookup', { asn: 'f'.repeat(20) }), {
      instanceOf: QuancunError,
      code: 'LINK_BAD_MESSAGE',
      message: 'card.lookup request: data.asn: Invalid string: must match pattern /^[0-9A-F]{20}$/',
    });

    // A kiosk that does not use KioskLink (or a corrupted message) gets an error response, and no handler runs.
    const raw = await rawClient(t, broker.url, 'K-RAW');
    const response = 'quancun/v1/kiosk/K-RAW/response/card.lookup';
    const rejected = nextMessage(raw, response, (json) => json.id === ID);
    await raw.subscribeAsync(response, { qos: 1 });
    const bad = { id: ID, kioskId: 'K-RAW', op: 'card.lookup', sentAt: '2025-09-01T08:30:00.000Z', data: { asn: 'SECRET' } };
    await raw.publishAsync('quancun/v1/kiosk/K-RAW/request/card.lookup', JSON.stringify(bad), { qos: 1 });
    t.deepEqual((await rejected).json, {
      id: ID,
      ok: false,
      error: { code: 'LINK_BAD_MESSAGE', message: 'card.lookup request: data.asn: Invalid string: must match pattern /^[0-9A-F]{20}$/' },
    });

    // Requests of one kiosk are handled in order: once a later good one is answered, the bad one is long done.
    t.deepEqual(await link.request('card.lookup', { asn: ASN }), operations['card.lookup'].example.response);
    t.deepEqual(lookups, ['JX-A101']);
    t.deepEqual(entries.filter((e) => e.level !== 'info'), [{
      level: 'warn',
      msg: 'rejected a malformed request',
      fields: { kioskId: 'K-RAW', op: 'card.lookup', id: ID, error: 'card.lookup request: data.asn: Invalid string: must match pattern /^[0-9A-F]{20}$/' },
    }]);
    t.false(JSON.stringify(entries).includes('SECRET'), 'payload values are never logged');
  });

  test(title('no answer in time is LINK_TIMEOUT, and a late answer is ignored'), async (t) => {
    const broker = await startBroker(t, factory);
    const gate = deferred();
    const lateAnswered = deferred();
    await startGateway(t, broker.url, (gw) =>
      gw.handle('txn.status', async (_kioskId, { txnId }) => {
        if (txnId === 'stuck') {
          await gate.promise;
          setImmediate(lateAnswered.resolve);
        }
        return statusOf(txnId);
      }),
    );
    const link = await startKiosk(t, broker.url, 'JX-A101', { requestTimeoutMs: 60_000 });

    await t.throwsAsync(link.request('txn.status', { txnId: 'stuck' }, { timeoutMs: 200 }), {
      instanceOf: QuancunError,
      code: 'LINK_TIMEOUT',
      message: 'no txn.status response within 200 ms',
    });
    gate.resolve();
    await lateAnswered.promise;
    t.deepEqual(await link.request('txn.status', { txnId: 'next' }), statusOf('next'));

    const aborted = new AbortController();
    const pending = link.request('txn.status', { txnId: 'next' }, { signal: aborted.signal });
    aborted.abort(new Error('card removed'));
    await t.throwsAsync(pending, { message: 'card removed' });
  });

  test(title('the kiosk state is retained, and its last will replaces it when the socket dies'), async (t) => {
    const broker = await startBroker(t, factory);
    const gateway = await startGateway(t, broker.url, () => {});
    const link = await startKiosk(t, broker.url, 'JX-A101', { reconnectPeriodMs: 60_000 });
    await link.publishState('in-service');
    const topic = 'quancun/v1/kiosk/JX-A101/state';

    const observer = await rawClient(t, broker.url, 'operator.observer');
    const retained = nextMessage(observer, topic);
    await observer.subscribeAsync(topic, { qos: 1 });
    const first = await retained;
    t.true(first.retain);
    t.deepEqual(withoutSince(first.json), { online: true, mode: 'in-service', version: VERSION, seq: 0 });

    const will = nextMessage(observer, topic);
    const gatewaySaw = new Promise((resolve) => gateway.on('kiosk-state', (id, state) => id === 'JX-A101' && !state?.online && resolve(state)));
    const offline = once(link, 'offline');
    link.client!.stream.destroy();
    t.deepEqual(withoutSince((await will).json), { online: false, mode: 'offline', version: VERSION, reason: 'connection lost', seq: 0 });
    await offline;
    t.false(link.online);
    await gatewaySaw;
    t.deepEqual(withoutSince({ ...gateway.kioskStates.get('JX-A101') }), { online: false, mode: 'offline', version: VERSION, reason: 'connection lost', seq: 0 });

    const latecomer = await rawClient(t, broker.url, 'operator.latecomer');
    const stored = nextMessage(latecomer, topic);
    await latecomer.subscribeAsync(topic, { qos: 1 });
    const last = await stored;
    t.true(last.retain);
    t.deepEqual(withoutSince(last.json), { online: false, mode: 'offline', version: VERSION, reason: 'connection lost', seq: 0 });
  });

  test(title('events reach the gateway\'s handler once the broker has them'), async (t) => {
    const broker = await startBroker(t, factory);
    const received = new Promise<unknown[]>((resolve) => {
      void startGateway(t, broker.url, (gw) => gw.onEvent('txn', (kioskId, payload) => resolve([kioskId, payload])));
    });
    const link = await startKiosk(t, broker.url, 'JX-A101');
    await link.publishEvent('txn', events.txn.example);
    t.deepEqual(await received, ['JX-A101', events.txn.example]);
    await t.throwsAsync(link.publishEvent('fault', { ...events.fault.example, at: 'now' }), { code: 'LINK_BAD_MESSAGE' });
  });

  test(title('a gateway away past the grace: LINK_OFFLINE without publishing; online again once it announces itself'), async (t) => {
    const broker = await startBroker(t, factory);
    const link = new KioskLink({ url: broker.url, kioskId: 'JX-A101', version: VERSION, offlineGraceMs: 200 });
    await link.start();
    t.teardown(() => link.stop());
    const client = link.client!;
    if (!client.connected) await new Promise((resolve) => client.once('connect', resolve));
    t.false(link.online, 'connected to the broker, but no gateway state yet');
    await t.throwsAsync(link.request('txn.status', { txnId: 'refused' }), { instanceOf: QuancunError, code: 'LINK_OFFLINE', message: 'gateway not reachable, txn.status not sent' });

    const calls: string[] = [];
    const online = once(link, 'online');
    const gateway = await startGateway(t, broker.url, (gw) =>
      gw.handle('txn.status', async (_kioskId, { txnId }) => (calls.push(txnId), statusOf(txnId))),
    );
    await online;
    t.deepEqual(await link.request('txn.status', { txnId: 'accepted' }), statusOf('accepted'));
    t.deepEqual(calls, ['accepted'], 'the refused request was never published');

    const offline = once(link, 'offline');
    const unreachable = once(link, 'unreachable');
    await gateway.stop();
    await offline;
    t.true(link.reachable, 'within the grace the kiosk still offers service');
    await unreachable;
    t.false(link.reachable);
    await t.throwsAsync(link.request('txn.status', { txnId: 'refused' }), { code: 'LINK_OFFLINE' });
    t.deepEqual(calls, ['accepted']);
  });

  test(title('a request made while the gateway is away waits for the one that takes over within the grace, and is answered by it'), async (t) => {
    const broker = await startBroker(t, factory);
    const calls: string[] = [];
    const serving = await startGateway(t, broker.url, (gw) => gw.handle('txn.status', async (_kioskId, { txnId }) => (calls.push(`serving ${txnId}`), statusOf(txnId))));
    // A grace no test machine's scheduling reaches: the request must end by the standby's answer, not by the timer.
    const link = await startKiosk(t, broker.url, 'JX-A101', { offlineGraceMs: 60_000 });
    let unreachable = 0;
    link.on('unreachable', () => unreachable++);
    const offline = once(link, 'offline');
    await serving.stop();
    await offline;
    const asked = link.request('txn.status', { txnId: 'during-takeover' });
    // The standby: another process with the same identity, up once the serving one is gone.
    await startGateway(t, broker.url, (gw) => gw.handle('txn.status', async (_kioskId, { txnId }) => (calls.push(`standby ${txnId}`), statusOf(txnId))));
    t.deepEqual(await asked, statusOf('during-takeover'));
    t.deepEqual(calls, ['standby during-takeover']);
    t.is(unreachable, 0, 'the takeover never made the kiosk stop offering service');
    t.true(link.reachable);
  });

  test(title('broker down: LINK_OFFLINE at once, nothing queued; both sides reconnect when it is back'), async (t) => {
    const broker = await startBroker(t, factory);
    const calls: string[] = [];
    await startGateway(t, broker.url, (gw) =>
      gw.handle('txn.status', async (_kioskId, { txnId }) => (calls.push(txnId), statusOf(txnId))),
    );
    // A grace no test reaches: the kiosk must stop offering service on the broker's loss itself, not on the timer.
    const link = await startKiosk(t, broker.url, 'JX-A101', { offlineGraceMs: 60_000 });

    const unreachable = once(link, 'unreachable');
    await broker.stop();
    await unreachable;
    t.false(link.reachable);
    await t.throwsAsync(link.request('txn.status', { txnId: 'while-down' }), { instanceOf: QuancunError, code: 'LINK_OFFLINE' });
    await t.throwsAsync(link.publishEvent('fault', events.fault.example), { instanceOf: QuancunError, code: 'LINK_OFFLINE' });

    // A fresh broker has no sessions and no retained state: the gateway resubscribes and announces itself again.
    const online = once(link, 'online');
    await broker.restart();
    await online;
    t.deepEqual(await link.request('txn.status', { txnId: 'after-restart' }), statusOf('after-restart'));
    t.deepEqual(calls, ['after-restart'], 'the request refused while down was not sent later either');
  });
}
