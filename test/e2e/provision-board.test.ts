/**
 * A fresh simulated board provisioned end to end, the way an installer does it on campus: the gateway with its campus
 * CA on a real Mosquitto with mutual TLS (deploy/mosquitto/'s listeners; ACL kept by quancun), a one-time enrolment
 * code, `provision()` over the installer's account with the CA pinned by fingerprint, then the new kiosk built from
 * the files provisioning wrote serving a load. Then a revocation by `quancun ca revoke` cuts the kiosk off at the
 * broker without a restart, and the same board, re-imaged, re-binds with a new code. A used and an expired code are
 * refused and change nothing on the board.
 *
 * Independent values: certificates are checked with the openssl CLI; the pad's PIN key is checked by its check value
 * (the pad's own), and by a load whose PIN block the gateway decrypts with the key it derives.
 */
import test, { type ExecutionContext } from 'ava';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import mqtt from 'mqtt';
import { SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { createDevices, type Devices } from '../../board/devices.ts';
import { assembleKiosk } from '../../board/kiosk-assembly.ts';
import { parseEvent, topics } from '../../common/api/topics.ts';
import type { Config } from '../../common/config.ts';
import { readJsonFile } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { silentLogger } from '../../common/log.ts';
import { aclParties, recordClient } from '../../gateway/ca/broker-acl.ts';
import { CampusCa } from '../../gateway/ca/campus-ca.ts';
import { CaRegistry } from '../../gateway/ca/registry.ts';
import { readBoardIdentity, writeBoardIdentity } from '../../hal/i2c/board-identity.ts';
import { provision, type ProvisionInput } from '../../provisioning/provision.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { manufactureSimPad, padMemoryPath, readPadMemory } from '../../sim/pin-pad/pad-memory.ts';
import { quancun } from '../support/cli.ts';
import { EMBEDDED_CONFIG, startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { startSecureMosquitto, type SecureTestBroker } from '../support/mosquitto.ts';
import { openssl } from '../support/openssl.ts';
import { passStore } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };
const TRANSPORT_MASTER_KEY = '404142434445464748494A4B4C4D4E4F';
const BOARD_SERIAL = 'QC-B-000017';

interface Campus {
  dir: string;
  ca: CampusCa;
  broker: SecureTestBroker;
  system: TestSystem;
  gatewayConfig: string;
  sniffer: mqtt.MqttClient;
}

/** The gateway's side: CA, broker certificate and ACL, Mosquitto, the gateway with `ca` and `mqtt.tls`, a K003 to enrol. */
async function startCampus(t: ExecutionContext): Promise<Campus> {
  const dir = await tempDir(t, 'quancun-campus-');
  await chmod(dir, 0o755); // Mosquitto reads the broker's files as its own user
  const caDir = join(dir, 'ca');
  const ca = await CampusCa.create(caDir, 'Test Campus CA');
  const registry = CaRegistry.inFolder(caDir);
  const write = async (name: string, text: string) => {
    await writeFile(join(dir, name), text);
    return join(dir, name);
  };
  const server = await ca.issueServer('127.0.0.1', ['127.0.0.1']);
  const caFile = await write('ca.crt', ca.certPem);
  const pki = { dir, ca: caFile, broker: { cert: await write('broker-chain.crt', server.certPem + ca.certPem), key: await write('broker.key', server.keyPem) } };
  const clientFiles = async (identity: string) => {
    const issued = await ca.issueClient(identity);
    await recordClient(registry, identity, issued.certPem);
    return { ca: caFile, cert: await write(`${identity}.crt`, issued.certPem), key: await write(`${identity}.key`, issued.keyPem) };
  };
  const gatewayTls = await clientFiles('gateway.main');
  const snifferTls = await clientFiles('gateway.sniffer');
  const broker = await startSecureMosquitto(pki, aclParties(await registry.read()));
  t.teardown(() => broker.stop());

  const edit = (c: Config) => {
    c.mqtt.url = broker.url;
    c.mqtt.tls = gatewayTls;
    c.ca = { dir: caDir, codeTtlHours: 72, broker: { aclFile: broker.aclFile, reload: broker.reloadCommand() } };
    c.issuer.padTransportMasterKey = TRANSPORT_MASTER_KEY;
    c.kiosks.push({ id: 'K003', terminalId: '000000000003', reader: { backend: 'sim' } });
  };
  // The file `quancun ca` is given names the gateway's own store: on PostgreSQL the registry is a row of it.
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  await passStore(raw);
  edit(raw);
  const gatewayConfig = await write('gateway.json', JSON.stringify(raw));
  const system = await startTestSystem(t, { mqttUrl: broker.url, kioskIds: [], edit: (c) => (edit(c), c.store = raw.store) });

  const sniffer = await mqtt.connectAsync(broker.url, {
    protocolVersion: 4, reconnectPeriod: 0, ca: readFileSync(caFile), cert: readFileSync(snifferTls.cert), key: readFileSync(snifferTls.key),
  });
  t.teardown(() => sniffer.endAsync(true));
  await sniffer.subscribeAsync('quancun/v1/#', { qos: 1 });
  return { dir, ca, broker, system, gatewayConfig, sniffer };
}

interface Board {
  devices: Devices & { stop(): Promise<void> };
  dataDir: string;
  configPath: string;
  input(o?: Partial<ProvisionInput>): ProvisionInput;
}

/** A board from the factory: its EEPROM holds only its serial (or, re-imaged, the kiosk it was), its pad a transport key. */
async function board(t: ExecutionContext, campus: Campus, name: string, serial = BOARD_SERIAL, wasKiosk = ''): Promise<Board> {
  const dataDir = join(campus.dir, name, 'data');
  const configPath = join(campus.dir, name, 'etc', 'kiosk.json');
  await manufactureSimPad(padMemoryPath(dataDir, 'K003'), `PAD-${name}`, Buffer.from(TRANSPORT_MASTER_KEY, 'hex'));
  const devices = await createDevices(SIM_BOARD_PROFILE, { simPadMemory: padMemoryPath(dataDir, 'K003') });
  devices.sim.i2c!.lm75.setCelsius(38);
  await writeBoardIdentity(devices.eeprom!, { kioskId: wasKiosk, serial, hardwareRevision: 'B2', provisionedAt: new Date(0) });
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await devices.pinPad.stop();
    await devices.printer?.stop();
    await devices.io.stop();
  };
  t.teardown(stop);
  const { username, password } = campus.broker.provisioning;
  return {
    devices: Object.assign(devices, { stop }),
    dataDir,
    configPath,
    input: (o = {}) => ({
      kioskId: 'K003', location: 'Library, ground floor', code: 'XXXX-XXXX-XXXX-XXXX', caFingerprint: campus.ca.fingerprint,
      enrol: { url: campus.broker.provisioning.url, username, password, timeoutMs: 15_000 }, brokerUrl: campus.broker.url,
      configPath, dataDir, board: SIM_BOARD_PROFILE, campus: { name: '测试大学', nameEn: 'Test University' },
      selfTest: { cardWaitMs: 50, actionWaitMs: 5000, skip: { door: 'no one at the door in a test', leds: 'no one to look' } },
      ...o,
    }),
  };
}

const installer = { instruct() {}, confirm: async () => true };
const progress = { start() {}, done() {} };

/** Whether a message the sniffer sees arrives, proven by the sniffer's own later sentinel (Mosquitto keeps order). */
async function reaches(campus: Campus, from: mqtt.MqttClient, topic: string): Promise<boolean> {
  const payload = JSON.stringify({ probe: randomUUID() });
  await from.publishAsync(topic, payload, { qos: 1 });
  const mark = randomUUID();
  let seen = false;
  await new Promise<void>((resolve) => {
    const on = (t: string, p: Buffer) => {
      if (t === topic && p.toString() === payload) seen = true;
      if (p.toString() === mark) {
        campus.sniffer.off('message', on);
        resolve();
      }
    };
    campus.sniffer.on('message', on);
    void campus.sniffer.publishAsync('quancun/v1/test/sentinel', mark, { qos: 1 });
  });
  return seen;
}

/** The kiosk the provisioned files describe, built by the one entry point, and a load of `amount` at it. */
async function serveLoad(t: ExecutionContext, campus: Campus, b: Board, amount: number) {
  const reader = new SimCardReader();
  const kiosk = await assembleKiosk(readJsonFile(b.configPath) as never, { log: silentLogger, version: 'test', simReader: reader, configPath: b.configPath });
  t.teardown(() => kiosk.stop());
  const online = once(kiosk.kiosk.link, 'online');
  await kiosk.start();
  await online;
  const keypad = kiosk.devices.sim.keypad!;
  keypad.once('entry', () => {
    keypad.type(ZHANG.pin);
    keypad.enter();
  });
  reader.insert(campus.system.cards.get(ZHANG.asn)!);
  const outcome = await kiosk.kiosk.load(await kiosk.kiosk.openSession(), amount);
  reader.remove();
  return { kiosk, outcome };
}

test('a fresh board, from a one-time code to a kiosk serving a load; revoked at the broker without a restart; re-imaged, it re-binds', async (t) => {
  t.timeout(120_000);
  const campus = await startCampus(t);
  const fresh = await board(t, campus, 'b1');
  const { code } = await campus.system.gateway.enrolment!.issueCode('K003');
  const published = new Promise<Buffer>((resolve) => campus.sniffer.on('message', (topic, p) => topic === topics.event('K003', 'self-test') && resolve(p)));

  const result = await provision(fresh.devices, installer, fresh.input({ code }), progress);

  t.like(await readBoardIdentity(fresh.devices.eeprom!), { kioskId: 'K003', serial: BOARD_SERIAL, hardwareRevision: 'B2' });
  const certFile = join(fresh.configPath, '..', 'tls', 'kiosk.crt');
  t.is(await openssl('x509', '-in', certFile, '-noout', '-subject'), `subject=CN = K003, serialNumber = ${BOARD_SERIAL}\n`);
  t.is(await openssl('verify', '-CAfile', join(campus.dir, 'ca.crt'), certFile), `${certFile}: OK\n`);
  const pad = await readPadMemory(padMemoryPath(fresh.dataDir, 'K003'));
  t.is(pad?.serial, 'PAD-b1');
  t.regex(pad?.pinKey ?? '', /^[0-9A-F]{32}$/, 'the pad holds a PIN key');
  t.like(result.report.checks.find((c) => c.check === 'pin-pad'), { status: 'pass' });
  t.regex(result.report.checks.find((c) => c.check === 'pin-pad')!.message, new RegExp(`check value ${result.grant.pinKey.checkValue} as enrolled`));
  t.true(result.report.passed, JSON.stringify(result.report.checks));
  t.deepEqual(parseEvent('self-test', await published), result.report, 'the report was published under the new identity');
  t.deepEqual(parseEvent('self-test', await readFile(join(fresh.dataDir, 'self-test.json'), 'utf8')), result.report, 'and kept on the board');
  await fresh.devices.stop();

  const first = await serveLoad(t, campus, fresh, 1500);
  t.like(first.outcome, { state: 'completed', tacVerified: true }, JSON.stringify(first.outcome));

  const revoked = await quancun('ca', 'revoke', 'K003', '--config', campus.gatewayConfig);
  t.is(revoked.code, 0, revoked.stderr);
  t.regex(revoked.stdout, /broker ACL .* rewritten and reloaded/);
  await first.kiosk.stop();
  // The kiosk's own key and certificate, as the board holds them: within seconds the broker drops what it publishes.
  const tls = join(fresh.configPath, '..', 'tls');
  const asKiosk = await mqtt.connectAsync(campus.broker.url, {
    protocolVersion: 4, reconnectPeriod: 0,
    ca: readFileSync(join(tls, 'ca.crt')), cert: readFileSync(join(tls, 'kiosk.crt')), key: readFileSync(join(tls, 'kiosk.key')),
  });
  t.teardown(() => asKiosk.endAsync(true));
  const since = Date.now();
  while (await reaches(campus, asKiosk, topics.kioskState('K003'))) if (Date.now() - since > 5000) return t.fail('K003 still publishes 5 s after its revocation');
  t.false(await reaches(campus, asKiosk, topics.request('K003', 'card.lookup')), 'its requests never reach the gateway');
  await asKiosk.endAsync(true);

  // The same board (its EEPROM), re-imaged: a new code re-binds K003 to it, and the gateway lifts the revocation.
  const reimaged = await board(t, campus, 'b2', BOARD_SERIAL, 'K003');
  const again = await campus.system.gateway.enrolment!.issueCode('K003');
  const rebound = await provision(reimaged.devices, installer, reimaged.input({ code: again.code }), progress);
  t.not(rebound.grant.certificate, result.grant.certificate, 'a new certificate for the new key');
  await reimaged.devices.stop();
  const second = (await serveLoad(t, campus, reimaged, 500)).outcome;
  t.like(second, { state: 'completed', tacVerified: true }, JSON.stringify(second));
});

test('a used code and an expired code are refused with their codes, and change nothing on the board', async (t) => {
  t.timeout(90_000);
  const campus = await startCampus(t);
  const enrolment = campus.system.gateway.enrolment!;
  const { code } = await enrolment.issueCode('K003');
  const first = await board(t, campus, 'b1');
  await provision(first.devices, installer, first.input({ code }), progress);

  const refusedOn = async (b: Board, used: string, expected: 'ENROL_CODE_USED' | 'ENROL_CODE_EXPIRED') => {
    const eeprom = Buffer.from(b.devices.sim.i2c!.eeprom.memory);
    const padBefore = await readPadMemory(padMemoryPath(b.dataDir, 'K003'));
    const err = await t.throwsAsync(provision(b.devices, installer, b.input({ code: used }), progress), { instanceOf: QuancunError });
    t.is(err?.code, expected);
    t.deepEqual(b.devices.sim.i2c!.eeprom.memory, eeprom, 'the EEPROM is as it was');
    t.deepEqual(await readPadMemory(padMemoryPath(b.dataDir, 'K003')), padBefore, 'the pad keeps its key');
    t.false(existsSync(b.configPath), 'no config, no TLS files');
  };
  await refusedOn(await board(t, campus, 'b2', 'QC-B-000018'), code, 'ENROL_CODE_USED');

  const late = await enrolment.issueCode('K003');
  // Its expiry moved into the past, as 72 hours would.
  await enrolment.registry.update((r) => {
    r.codes.find((c) => c.id === late.id)!.expiresAt = new Date(Date.now() - 1000).toISOString();
  });
  await refusedOn(await board(t, campus, 'b3'), late.code, 'ENROL_CODE_EXPIRED');
});

test('quancun provision --yes: the installer\'s command, scripted, on the simulated board', async (t) => {
  t.timeout(90_000);
  const campus = await startCampus(t);
  const issued = await campus.system.gateway.enrolment!.issueCode('K003');
  const dataDir = join(campus.dir, 'cli', 'data');
  const configOut = join(campus.dir, 'cli', 'etc', 'kiosk.json');
  // The simulated board's pad, as its factory made it.
  await manufactureSimPad(padMemoryPath(dataDir, 'K003'), 'PAD-CLI', Buffer.from(TRANSPORT_MASTER_KEY, 'hex'));
  const { username, password, url } = campus.broker.provisioning;
  const args = ['provision', '--yes', '--board', 'sim', '--sim-serial', 'QC-SIM-0042', '--location', 'Canteen 2',
    '--enrolment', issued.uri, '--enrol-url', url, '--enrol-password', password, '--broker-url', campus.broker.url,
    '--config-out', configOut, '--data-dir', dataDir, '--campus-name', '测试大学', '--campus-name-en', 'Test University', '--card-wait', '0'];

  const wrongAccount = await quancun(...args, '--enrol-user', 'provision');
  t.is(wrongAccount.code, 1);
  t.regex(wrongAccount.stderr, /CONFIG_INVALID: --enrol-user: "provision" is not an installer account \(installer\.<name>\)/);

  const run = await quancun(...args, '--enrol-user', username);
  t.is(run.code, 0, run.stderr + run.stdout);
  t.regex(run.stdout, /\[5\] Enrolling K003 with the gateway …\n {4}✔ certificate for K003 issued; terminal id 000000000003/);
  t.regex(run.stdout, /✔ the pad took its key; check value [0-9A-F]{6}/);
  t.notRegex(run.stdout + run.stderr, new RegExp(issued.code), 'the code is never printed');
  t.like((readJsonFile(configOut) as Config), { kiosk: { id: 'K003', terminalId: '000000000003' }, mqtt: { url: campus.broker.url } });
  t.is(await openssl('x509', '-in', join(configOut, '..', 'tls', 'kiosk.crt'), '-noout', '-subject'), 'subject=CN = K003, serialNumber = QC-SIM-0042\n');
});
