/**
 * The campus broker as deploy/mosquitto/ sets it up — a real Mosquitto with mutual TLS, the certificate's CN as
 * username and client id, and the ACL files made from common/api/access.ts — with the gateway and two kiosks on it.
 * The outsider of the issue (no certificate on the campus network, or an installer's provisioning account) is
 * tried part by part, and so is a kiosk acting as another. Certificates come from the openssl CLI, not our CA.
 *
 * Absence is proven with a sentinel, never a wait: Mosquitto handles messages in the order it reads them, so once a
 * publisher has its PUBACK for a message and a sentinel published afterwards reaches a subscriber, the message would
 * have reached that subscriber before the sentinel had the broker let it through.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import { makePki, type Pki } from '../support/test-pki.ts';
import { connectOutcome } from '../support/connect-outcome.ts';
import { startSecureMosquitto, type SecureTestBroker } from '../support/mosquitto.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { topics } from '../../common/api/topics.ts';
import type { AclParties } from '../../common/api/access.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };
const PARTIES: AclParties = { gateways: ['gateway.main', 'gateway.sniffer'], operators: [], revokedKiosks: [] };

interface World {
  pki: Pki;
  broker: SecureTestBroker;
  /** A client with the gateway's rights that sees every message under the root. */
  sniffer: Sniffer;
}

interface Sniffer {
  client: MqttClient;
  seen: Array<{ topic: string; payload: string }>;
  /** Resolves once a fresh sentinel came back: every message routed before it has been seen. */
  sync(): Promise<void>;
}

async function connect(t: ExecutionContext, url: string, o: IClientOptions): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, ...o });
  t.teardown(() => client.endAsync(true));
  return client;
}

/** Connects with a client certificate of the test CA for this CN (and any client id the caller claims). */
function withCert(world: World, cn: string, clientId = cn): IClientOptions {
  const files = world.pki.client(cn);
  return { clientId, ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key) };
}

async function startWorld(t: ExecutionContext): Promise<World> {
  const pki = await makePki(t);
  const broker = await startSecureMosquitto(pki, PARTIES);
  t.teardown(() => broker.stop());
  const client = await connect(t, broker.url, withCert({ pki } as World, 'gateway.sniffer'));
  const seen: Sniffer['seen'] = [];
  const waiting = new Map<string, () => void>();
  client.on('message', (topic, payload) => {
    const text = payload.toString();
    if (waiting.has(text)) waiting.get(text)!();
    else seen.push({ topic, payload: text });
  });
  await client.subscribeAsync('quancun/v1/#', { qos: 1 });
  const sync = async () => {
    const mark = `sentinel-${randomUUID()}`;
    const back = new Promise<void>((resolve) => waiting.set(mark, resolve));
    await client.publishAsync('quancun/v1/test/sentinel', mark, { qos: 1 });
    await back;
  };
  return { pki, broker, sniffer: { client, seen, sync } };
}

async function startSystem(t: ExecutionContext, world: World, kioskIds = ['K001', 'K002']) {
  return startTestSystem(t, {
    mqttUrl: world.broker.url,
    kioskIds,
    edit: (c) => {
      c.mqtt.tls = world.pki.client('gateway.main');
    },
    kioskTls: (id) => world.pki.client(id),
  });
}

/** Publishes (and has the PUBACK), then proves through the sniffer whether the broker let it through. */
async function delivered(world: World, from: MqttClient, topic: string, payload: string, retain = false): Promise<boolean> {
  await from.publishAsync(topic, payload, { qos: 1, retain });
  await world.sniffer.sync();
  return world.sniffer.seen.some((m) => m.topic === topic && m.payload === payload);
}

test('kiosks with their certificates serve a load over mutual TLS; a client without a certificate is refused', async (t) => {
  const world = await startWorld(t);
  const system = await startSystem(t, world);
  t.like(await loadAt(system, 'K001', ZHANG, 1000), { state: 'completed', tacVerified: true });

  t.regex(await connectOutcome(world.broker.url, { ca: readFileSync(world.pki.ca) }), /certificate required/, 'no client certificate: the TLS handshake fails');
  const stranger = await makePki(t, 'Another CA');
  const foreign = stranger.client('K001');
  t.notRegex(
    await connectOutcome(world.broker.url, { ca: readFileSync(world.pki.ca), cert: readFileSync(foreign.cert), key: readFileSync(foreign.key) }),
    /^connected$/,
    'a certificate from another CA for the same CN is refused',
  );
  t.not(await connectOutcome(world.broker.url.replace('mqtts:', 'mqtt:'), {}), 'connected', 'plain MQTT on the TLS port is refused');
});

test('K002\'s certificate can neither publish on K001\'s topics, read K001\'s responses, nor take over K001\'s or the gateway\'s session', async (t) => {
  const world = await startWorld(t);
  // Only K001 runs: a kiosk K002 on the broker would share the test client's identity, so each would take over the
  // other's session in turn.
  const system = await startSystem(t, world, ['K001']);
  // K002's key, claiming the gateway's and then K001's client id: the broker makes its client id its CN.
  await connect(t, world.broker.url, withCert(world, 'K002', 'gateway.main')).then((c) => c.endAsync());
  const k2 = await connect(t, world.broker.url, withCert(world, 'K002', 'K001'));
  const overheard: string[] = [];
  k2.on('message', (topic) => overheard.push(topic));
  await k2.subscribeAsync(['quancun/v1/kiosk/K001/response/+', 'quancun/v1/kiosk/K002/response/+'], { qos: 1 });

  const abandon = JSON.stringify({ id: randomUUID(), kioskId: 'K001', op: 'load.abandon', sentAt: new Date().toISOString(), data: { txnId: 'K001-000001', reason: 'CARD_REMOVED' } });
  t.false(await delivered(world, k2, topics.request('K001', 'load.abandon'), abandon), 'a request on K001\'s topic never reaches the gateway');
  t.false(await delivered(world, k2, topics.kioskState('K001'), '{"online":false}'), 'nor a state for K001');
  t.false(await delivered(world, k2, topics.gatewayState, '{"online":false}', true), 'nor a gateway state');

  // K001 is still connected (its session was not taken over) and the gateway still serves it.
  t.like(await loadAt(system, 'K001', ZHANG, 500), { state: 'completed' });
  // A response to K002 sent after K001's: once it is in, K001's would have been too, had the broker let them through.
  const sentinel = new Promise<void>((resolve) => k2.on('message', (topic) => topic.endsWith('/response/txn.status') && resolve()));
  await world.sniffer.client.publishAsync(topics.response('K002', 'txn.status'), '{}', { qos: 1 });
  await sentinel;
  t.deepEqual(overheard.filter((topic) => topic.includes('/K001/')), [], 'none of K001\'s responses reached K002');
  t.false(world.sniffer.seen.some((m) => m.topic === topics.gatewayState && m.payload.includes('"online":false')), 'the gateway was never knocked offline');
});

test('the outsider: no certificate gets nothing; an installer\'s provisioning account may only enrol', async (t) => {
  const world = await startWorld(t);
  const system = await startSystem(t, world, ['K001']);
  const { provisioning } = world.broker;
  const ca = readFileSync(world.pki.ca);
  t.regex(await connectOutcome(provisioning.url, { ca }), /Not authorized/, 'no account: refused');
  t.regex(await connectOutcome(provisioning.url, { ca, username: provisioning.username, password: 'guess' }), /Not authorized/, 'a wrong password: refused');

  // The installer account, claiming the gateway's client id: it gets its own (its username), the gateway stays.
  const installer = await connect(t, provisioning.url, { ca, username: provisioning.username, password: provisioning.password, clientId: 'gateway.main' });
  const read: string[] = [];
  installer.on('message', (topic) => read.push(topic));
  await installer.subscribeAsync(['quancun/v1/kiosk/K001/response/+', 'quancun/v1/kiosk/+/state', 'quancun/v1/#', topics.enrolResponse(provisioning.username)], { qos: 1 });

  const lookup = JSON.stringify({ id: randomUUID(), kioskId: 'K001', op: 'card.lookup', sentAt: new Date().toISOString(), data: { asn: ZHANG.asn } });
  t.false(await delivered(world, installer, topics.request('K001', 'card.lookup'), lookup), 'no card.lookup as K001 (name, account, PAN digits)');
  const abandon = JSON.stringify({ id: randomUUID(), kioskId: 'K001', op: 'load.abandon', sentAt: new Date().toISOString(), data: { txnId: 'K001-000002', reason: 'CARD_REMOVED' } });
  t.false(await delivered(world, installer, topics.request('K001', 'load.abandon'), abandon), 'no abandoning K001\'s next transaction');
  t.false(await delivered(world, installer, topics.gatewayState, '{"online":false}', true), 'no retained fake gateway state');
  t.true(await delivered(world, installer, topics.enrolRequest(provisioning.username), '{}'), 'its own enrolment request goes through');
  t.false(await delivered(world, installer, topics.enrolRequest('installer.other'), '{}'), 'another installer\'s does not');

  // A load (card.lookup, load.authorize, txn responses) while the installer listens everywhere; then its own answer.
  t.like(await loadAt(system, 'K001', ZHANG, 700), { state: 'completed' });
  const own = new Promise<void>((resolve) => installer.on('message', (topic) => topic === topics.enrolResponse(provisioning.username) && resolve()));
  await world.sniffer.client.publishAsync(topics.enrolResponse(provisioning.username), '{}', { qos: 1 });
  await own;
  t.deepEqual(read, [topics.enrolResponse(provisioning.username)], 'it read nothing but its own enrolment response (no MAC2, no cardholder, no state)');
  t.false(world.sniffer.seen.some((m) => m.topic === topics.gatewayState && m.payload.includes('"online":false')), 'the gateway was never knocked offline');
});

test('a revoked kiosk is cut off by an ACL reload, without restarting the broker', async (t) => {
  const world = await startWorld(t);
  const k2 = await connect(t, world.broker.url, withCert(world, 'K002'));
  const probe = () => delivered(world, k2, topics.kioskState('K002'), JSON.stringify({ probe: randomUUID() }));
  t.true(await probe(), 'before: K002 publishes on its own topics');

  const revokedAt = Date.now();
  await world.broker.setParties({ ...PARTIES, revokedKiosks: ['K002'] });
  // Each probe is a round trip through the broker: the loop ends when the reload took effect.
  while (await probe()) if (Date.now() - revokedAt > 5000) return t.fail('K002 still publishes 5 s after the reload');
  t.log(`cut off ${Date.now() - revokedAt} ms after the reload`);
  t.true(k2.connected, 'the same connection: the broker was not restarted');
  t.true(await delivered(world, world.sniffer.client, topics.response('K002', 'card.lookup'), 'still routing'), 'and it serves everyone else');
});
