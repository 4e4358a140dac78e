/**
 * The access rules of common/api/access.ts as the two brokers get them: the ACL file text Mosquitto reads (written
 * down here line by line), the embedded aedes broker's hooks, and the TLS files a config names.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';
import { mosquittoAcl, mosquittoProvisioningAcl } from '../../common/api/access.ts';
import { startEmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { parseKioskConfig } from '../../board/kiosk-config.ts';
import { SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { makePki } from '../support/test-pki.ts';
import { connectOutcome } from '../support/connect-outcome.ts';
import { secureListenerLines } from '../../sim/broker/mosquitto-process.ts';

test('the ACL files Mosquitto reads', (t) => {
  const acl = mosquittoAcl({ gateways: ['gateway.main'], operators: ['operator.desk'], revokedKiosks: ['K009'] });
  const rules = acl.split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  t.deepEqual(rules, [
    'pattern write quancun/v1/kiosk/%u/request/+',
    'pattern write quancun/v1/kiosk/%u/state',
    'pattern write quancun/v1/kiosk/%u/event/+',
    'pattern write quancun/v1/kiosk/%u/command-result/+',
    'pattern read quancun/v1/kiosk/%u/response/+',
    'pattern read quancun/v1/kiosk/%u/command/+',
    'pattern read quancun/v1/gateway/state',
    'pattern read quancun/v1/announcements/all/+',
    'pattern read quancun/v1/announcements/kiosk/%u/+',
    'user gateway.main',
    'topic readwrite quancun/v1/#',
    'user operator.desk',
    'topic write quancun/v1/kiosk/+/command/+',
    'topic read quancun/v1/kiosk/+/command-result/+',
    'topic read quancun/v1/kiosk/+/state',
    'topic read quancun/v1/kiosk/+/event/+',
    'topic read quancun/v1/gateway/state',
    'topic read quancun/v1/announcements/#',
    'user K009',
    'topic deny quancun/v1/#',
  ]);
  t.deepEqual(mosquittoProvisioningAcl().split('\n').filter((line) => line !== '' && !line.startsWith('#')), [
    'pattern write quancun/v1/enrol/%u/request',
    'pattern read quancun/v1/enrol/%u/response',
  ]);
});

async function client(t: ExecutionContext, url: string, identity: string): Promise<MqttClient> {
  const c = await mqtt.connectAsync(url, { protocolVersion: 4, reconnectPeriod: 0, clientId: identity, username: identity });
  t.teardown(() => c.endAsync(true));
  return c;
}

test('the embedded broker holds each client to its role, as Mosquitto does', async (t) => {
  const broker = await startEmbeddedBroker();
  t.teardown(() => broker.close());
  t.regex(await connectOutcome(broker.url, { clientId: 'K001' }), /Not authorized/, 'no username: refused');
  t.regex(await connectOutcome(broker.url, { clientId: 'gateway.main', username: 'K002' }), /Not authorized/, 'a client id that is not its username: refused');

  const gateway = await client(t, broker.url, 'gateway.main');
  const seen: string[] = [];
  const marks = new Map<string, () => void>();
  gateway.on('message', (topic, payload) => (marks.has(payload.toString()) ? marks.get(payload.toString())!() : seen.push(topic)));
  await gateway.subscribeAsync('quancun/v1/#', { qos: 1 });
  /** The gateway's own sentinel, published after `from`'s PUBACK: aedes routes in order, so anything allowed is in. */
  const sync = async () => {
    const mark = randomUUID();
    const back = new Promise<void>((resolve) => marks.set(mark, resolve));
    await gateway.publishAsync('quancun/v1/test/sentinel', mark, { qos: 1 });
    await back;
  };

  const k1 = await client(t, broker.url, 'K001');
  await k1.publishAsync('quancun/v1/kiosk/K001/state', '{}', { qos: 1 });
  await sync();
  t.deepEqual(seen, ['quancun/v1/kiosk/K001/state'], 'a kiosk publishes on its own topics');

  const refused = await t.throwsAsync(k1.subscribeAsync('quancun/v1/kiosk/K002/response/+', { qos: 1 }));
  t.deepEqual((refused as Error & { packet?: { granted: number[] } }).packet?.granted, [128], 'another kiosk\'s responses: subscription refused');
  const closed = new Promise<void>((resolve) => k1.once('close', () => resolve()));
  k1.publish('quancun/v1/kiosk/K002/request/card.lookup', '{}', { qos: 1 });
  await closed;
  await sync();
  t.deepEqual(seen, ['quancun/v1/kiosk/K001/state'], 'publishing on another kiosk\'s topic: dropped, and the client disconnected');

});

test('mqtt.tls files that are missing or do not match are CONFIG_INVALID naming them', async (t) => {
  const pki = await makePki(t);
  const other = await makePki(t, 'Another CA');
  const config = (tls: object | undefined, url = 'mqtts://127.0.0.1:8883') => ({
    campus: { name: '测试大学', nameEn: 'Test University' },
    mqtt: { url, ...(tls ? { tls } : {}) },
    kiosk: { id: 'K001', terminalId: '000000000001' },
    board: SIM_BOARD_PROFILE,
  });
  const path = join(pki.dir, 'kiosk.json');
  writeFileSync(path, '{}');
  const k1 = pki.client('K001');
  const ok = parseKioskConfig(config(k1), path);
  t.is(ok.tls?.identity, 'K001');

  const invalid = (tls: object | undefined, pattern: RegExp, url?: string) => {
    const err = t.throws(() => parseKioskConfig(config(tls, url), path), { code: 'CONFIG_INVALID' });
    t.regex(err!.message, pattern);
  };
  invalid({ ...k1, cert: join(pki.dir, 'missing.crt') }, /mqtt\.tls\.cert: cannot read .*missing\.crt \(ENOENT\)/);
  invalid({ ...k1, key: pki.client('K002').key }, /mqtt\.tls\.key: .*K002\.key is not the key of mqtt\.tls\.cert .*K001\.crt/);
  invalid({ ...k1, ca: other.ca }, /mqtt\.tls\.cert: .*K001\.crt was not issued by mqtt\.tls\.ca .*ca\.crt/);
  invalid({ ...k1, cert: k1.key }, /mqtt\.tls\.cert: .*K001\.key is not a PEM certificate/);
  invalid(pki.client('K002'), /mqtt\.tls\.cert: its CN is "K002", not this kiosk's id K001/);
  invalid(undefined, /mqtt\.tls: an mqtts:\/\/ broker needs the CA, certificate and key files/);
  invalid(k1, /mqtt\.tls: only for an mqtts:\/\/ broker/, 'mqtt://127.0.0.1:1883');
});

test('deploy/mosquitto/quancun.conf sets the listeners the tests run Mosquitto with', (t) => {
  const shipped = readFileSync(join(import.meta.dirname, '../../deploy/mosquitto/quancun.conf'), 'utf8')
    .split('\n').filter((line) => line !== '' && !line.startsWith('#'));
  const dir = '/etc/mosquitto/quancun';
  t.deepEqual(shipped, ['set_tcp_nodelay true', 'max_queued_messages 20000', ...secureListenerLines(8883, undefined, {
    caFile: `${dir}/ca.crt`, certFile: `${dir}/broker-chain.crt`, keyFile: `${dir}/broker.key`, aclFile: `${dir}/kiosks.acl`,
    provisioning: { port: 8884, passwordFile: `${dir}/installers.passwd`, aclFile: `${dir}/installers.acl` },
  })]);
});
