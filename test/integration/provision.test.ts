/**
 * `provision()` on a fresh simulated board, against a stand-in for the gateway's enrolment handler (the campus CA's
 * own handler is built in parallel; the end-to-end test on the real Gateway, TLS Mosquitto and a load follows the
 * merge). The stand-in signs the CSR with openssl as a CA and answers with fixed values written down independently:
 * the pad (serial PAD-0001, factory transport key from master key 4041…4F: 149376684457B33752ECA18A3F060A4A) is sent
 * A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8 as 7318D477B57477149AFFED61C8AD44BC, check value 7B217F (openssl, see
 * test/contract/pin-pad.contract.ts). The broker is aedes on mqtt://, so the CA is handed as a file (provision.ts).
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { createDevices, type Devices } from '../../board/devices.ts';
import { loadKioskConfig } from '../../board/kiosk-config.ts';
import { parseEnrolmentRequest, parseEvent, subscriptions, topics, type EnrolmentResponse } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import { startEmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { readBoardIdentity, writeBoardIdentity } from '../../hal/i2c/board-identity.ts';
import { provision, type ProvisionInput, type StepName } from '../../provisioning/provision.ts';
import { manufactureSimPad, padMemoryPath, readPadMemory } from '../../sim/pin-pad/pad-memory.ts';
import { certificateSubject, makeTestCa, signCsr, type TestCa } from '../support/test-ca.ts';
import { tempDir } from '../support/temp-dir.ts';

const USED_CODE = 'USED-USED-USED-USED';

/** The gateway side, reduced to what the board sees: one answer per request, a used code refused. */
async function enrolmentStandIn(t: import('ava').ExecutionContext, url: string, ca: TestCa): Promise<{ requests: number }> {
  const seen = { requests: 0 };
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId: 'gateway-stand-in' });
  t.teardown(() => client.endAsync());
  client.on('message', (topic, payload) => {
    seen.requests++;
    const session = topic.split('/')[3]!;
    const request = parseEnrolmentRequest(payload);
    const answer: EnrolmentResponse = request.data.code === USED_CODE
      ? { id: request.id, ok: false, error: { code: 'ENROL_CODE_USED', message: 'enrolment code already used on 2025-09-01' } }
      : {
        id: request.id, ok: true,
        data: {
          kioskId: request.data.kioskId, terminalId: '000000000009', certificate: signCsr(ca, request.data.csr), caChain: [ca.pem],
          pinKey: { underTransportKey: '7318D477B57477149AFFED61C8AD44BC', checkValue: '7B217F' },
        },
      };
    void client.publishAsync(topics.enrolResponse(session), JSON.stringify(answer), { qos: 1 });
  });
  await client.subscribeAsync(subscriptions.allEnrolRequests, { qos: 1 });
  return seen;
}

interface Rig {
  devices: Devices;
  dir: string;
  ca: TestCa;
  url: string;
  requests: { requests: number };
  input: (o?: Partial<ProvisionInput>) => ProvisionInput;
}

async function freshBoard(t: import('ava').ExecutionContext): Promise<Rig> {
  const dir = await tempDir(t);
  const ca = makeTestCa(dir);
  const broker = await startEmbeddedBroker();
  t.teardown(() => broker.close());
  const requests = await enrolmentStandIn(t, broker.url, ca);
  const dataDir = join(dir, 'data');
  await manufactureSimPad(padMemoryPath(dataDir, 'K009'), 'PAD-0001', Buffer.from('404142434445464748494A4B4C4D4E4F', 'hex'));
  const devices = await createDevices(SIM_BOARD_PROFILE, { simPadMemory: padMemoryPath(dataDir, 'K009') });
  devices.sim.i2c!.lm75.setCelsius(38);
  await writeBoardIdentity(devices.eeprom!, { kioskId: '', serial: 'QC-B-000017', hardwareRevision: 'B2', provisionedAt: new Date(0) });
  t.teardown(async () => {
    await devices.pinPad.stop();
    await devices.printer?.stop();
    await devices.io.stop();
  });
  const input = (o: Partial<ProvisionInput> = {}): ProvisionInput => ({
    kioskId: 'K009', location: 'Library, ground floor', code: 'AB12-CD34-EF56-GH78', caFingerprint: ca.fingerprint,
    enrol: { url: broker.url, username: 'provision', password: 'secret', timeoutMs: 10_000 }, caPem: ca.pem,
    configPath: join(dir, 'etc', 'kiosk.json'), dataDir, board: SIM_BOARD_PROFILE, campus: { name: '测试大学', nameEn: 'Test University' },
    selfTest: { cardWaitMs: 50, actionWaitMs: 5000, skip: { door: 'x', leds: 'x' } },
    ...o,
  });
  return { devices, dir, ca, url: broker.url, requests, input };
}

const noInstaller = { instruct() {}, confirm: async () => true };

test('a fresh board is enrolled: EEPROM, certificate bound to kiosk id and board serial, pad key, config, report', async (t) => {
  const rig = await freshBoard(t);
  const watcher = await mqtt.connectAsync(rig.url, { protocolVersion: 4 });
  t.teardown(() => watcher.endAsync());
  await watcher.subscribeAsync(topics.event('K009', 'self-test'), { qos: 1 });
  const published = new Promise<Buffer>((resolve) => watcher.on('message', (_topic, payload) => resolve(payload)));
  const steps: StepName[] = [];

  const result = await provision(rig.devices, noInstaller, rig.input(), { start() {}, done: (step) => steps.push(step) });

  t.deepEqual(steps, ['identity', 'pin-pad', 'campus-ca', 'key-pair', 'enrolment', 'pin-key', 'files', 'eeprom', 'self-test', 'report']);
  const identity = await readBoardIdentity(rig.devices.eeprom!);
  t.like(identity, { kioskId: 'K009', serial: 'QC-B-000017', hardwareRevision: 'B2' });
  const etc = join(rig.dir, 'etc');
  const cert = await readFile(join(etc, 'tls', 'kiosk.crt'), 'utf8');
  t.is(certificateSubject(cert), 'subject=serialNumber=QC-B-000017,CN=K009');
  const keyPath = join(etc, 'tls', 'kiosk.key');
  t.is(statSync(keyPath).mode & 0o777, 0o600);
  const pubkey = (args: string[], input: string) => execFileSync('openssl', args, { input, encoding: 'utf8' });
  t.is(pubkey(['x509', '-noout', '-pubkey'], cert), pubkey(['pkey', '-pubout'], await readFile(keyPath, 'utf8')), 'the certificate is for the key made on the board');
  t.is(await readFile(join(etc, 'tls', 'ca.crt'), 'utf8'), rig.ca.pem);
  const config = loadKioskConfig(join(etc, 'kiosk.json')).config;
  t.deepEqual(config.kiosk, { id: 'K009', terminalId: '000000000009' });
  t.deepEqual(config.mqtt.tls, { ca: 'tls/ca.crt', cert: 'tls/kiosk.crt', key: 'tls/kiosk.key' });
  t.is(config.mqtt.url, rig.url);
  t.deepEqual(await readPadMemory(padMemoryPath(rig.input().dataDir, 'K009')), {
    serial: 'PAD-0001', transportKey: '149376684457B33752ECA18A3F060A4A', pinKey: 'A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8',
  });
  t.true(result.report.passed);
  t.deepEqual(result.report.checks.find((c) => c.check === 'pin-pad'), { check: 'pin-pad', status: 'pass', message: 'PIN pad PAD-0001 answers; key check value 7B217F as enrolled' });
  t.is(result.publishError, undefined);
  t.deepEqual(parseEvent('self-test', await published), result.report);
  t.deepEqual(parseEvent('self-test', await readFile(join(rig.input().dataDir, 'self-test.json'), 'utf8')), result.report);
});

test('a used code is refused with its code and nothing is written on the board', async (t) => {
  const rig = await freshBoard(t);
  const eepromBefore = Buffer.from(rig.devices.sim.i2c!.eeprom.memory);
  const padBefore = await readPadMemory(padMemoryPath(rig.input().dataDir, 'K009'));

  const err = await t.throwsAsync(provision(rig.devices, noInstaller, rig.input({ code: USED_CODE }), { start() {}, done() {} }), { instanceOf: QuancunError });

  t.is(err?.code, 'ENROL_CODE_USED');
  t.is(err?.message, 'enrolment code already used on 2025-09-01');
  t.deepEqual(rig.devices.sim.i2c!.eeprom.memory, eepromBefore);
  t.deepEqual(await readPadMemory(padMemoryPath(rig.input().dataDir, 'K009')), padBefore);
  t.false(existsSync(join(rig.dir, 'etc')), 'no config, no TLS files');
});

test('a CA file that is not the code\'s campus CA is refused before anything is sent', async (t) => {
  const rig = await freshBoard(t);
  const other = makeTestCa(rig.dir, 'Other CA');
  const err = await t.throwsAsync(provision(rig.devices, noInstaller, rig.input({ caPem: other.pem }), { start() {}, done() {} }), { instanceOf: QuancunError });
  t.is(err?.code, 'ENROL_CA_MISMATCH');
  t.is(rig.requests.requests, 0);
  t.false(existsSync(join(rig.dir, 'etc')));
});
