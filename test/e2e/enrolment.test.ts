/**
 * Enrolment and the gateway's kiosk check on the embedded broker, with a CA made by `quancun ca init`: a client
 * publishes a real enrolment request (a CSR from `openssl req`) and gets a certificate openssl verifies; K001,
 * enrolled, completes a load; K002, never enrolled, is refused; `quancun ca revoke K001`, run in another process while
 * the gateway runs, makes K001's next request refused.
 */
import test from 'ava';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import mqtt from 'mqtt';
import { parseEnrolmentResponse, parseResponseEnvelope, topics, type EnrolmentResponse } from '../../common/api/topics.ts';
import type { Config } from '../../common/config.ts';
import { lastJson, quancun } from '../support/cli.ts';
import { EMBEDDED_CONFIG, loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { openssl, opensslCsr } from '../support/openssl.ts';
import { passStore } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };

test('a board enrols over the broker; the gateway serves the enrolled kiosk, refuses one never enrolled and, without a restart, one revoked', async (t) => {
  const dir = await tempDir(t, 'quancun-enrol-e2e-');
  const caDir = join(dir, 'ca');
  const withCa = (config: Config) => {
    config.ca = { dir: caDir, codeTtlHours: 72 };
    config.issuer.padTransportMasterKey = '3C4D5E6F708192A3B4C5D6E7F8091A2B';
  };
  // The operator's copy of the gateway config, for `quancun ca` in its own processes: the same store as the gateway's
  // (on PostgreSQL the registry is a row of it).
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  await passStore(raw);
  withCa(raw);
  const configFile = join(dir, 'gateway.json');
  await writeFile(configFile, JSON.stringify(raw));
  t.is((await quancun('ca', 'init', '--config', configFile)).code, 0);

  const system = await startTestSystem(t, { edit: (c) => (withCa(c), c.store = raw.store), kioskIds: ['K001'] });
  // An installer's account and a kiosk never enrolled, each with its own identity (the broker holds each to its role).
  const client = async (identity: string) => {
    const c = await mqtt.connectAsync(system.mqttUrl, { protocolVersion: 4, clientId: identity, username: identity });
    t.teardown(() => c.endAsync());
    c.on('message', (_topic, payload) => answers.get(JSON.parse(payload.toString()).id as string)?.(payload));
    return c;
  };
  const answers = new Map<string, (payload: Buffer) => void>();
  const installer = await client('installer.e2e');
  await installer.subscribeAsync(topics.enrolResponse('installer.e2e'), { qos: 1 });
  const k2 = await client('K002');
  await k2.subscribeAsync(topics.response('K002', 'card.lookup'), { qos: 1 });
  const ask = (from: mqtt.MqttClient, topic: string, body: Record<string, unknown>) => new Promise<Buffer>((resolve) => {
    const id = randomUUID();
    answers.set(id, resolve);
    void from.publishAsync(topic, JSON.stringify({ id, sentAt: new Date().toISOString(), ...body }), { qos: 1 });
  });
  const enrol = async (data: Record<string, unknown>): Promise<EnrolmentResponse> => parseEnrolmentResponse(await ask(installer, topics.enrolRequest('installer.e2e'), { data }));

  const issued = lastJson<{ code: string; kioskId: string }>((await quancun('ca', 'code', 'K001', '--json', '--config', configFile)).stdout);
  const csr = await opensslCsr(dir);
  const data = { kioskId: 'K001', code: issued.code, boardSerial: 'SN2025-0001', location: 'Canteen 2', csr, pinPad: { serial: 'PP2025000123' } };

  const malformed = await enrol({ ...data, csr: undefined });
  t.like(malformed, { ok: false, error: { code: 'LINK_BAD_MESSAGE' } });
  t.regex(!malformed.ok ? malformed.error.message : '', /data\.csr/);

  const enrolled = await enrol(data);
  if (!enrolled.ok) return t.fail(`enrolment refused: ${enrolled.error.code} ${enrolled.error.message}`);
  t.is(enrolled.data.terminalId, '000000000001');
  await writeFile(join(dir, 'k001.crt'), enrolled.data.certificate);
  t.is(await openssl('verify', '-CAfile', join(caDir, 'ca.crt'), join(dir, 'k001.crt')), `${join(dir, 'k001.crt')}: OK\n`);
  t.is(await openssl('x509', '-in', join(dir, 'k001.crt'), '-noout', '-subject'), 'subject=CN = K001, serialNumber = SN2025-0001\n');
  t.like(await enrol(data), { ok: false, error: { code: 'ENROL_CODE_USED' } });

  t.like(await loadAt(system, 'K001', ZHANG, 2000), { state: 'completed', tacVerified: true });

  const lookup = await ask(k2, topics.request('K002', 'card.lookup'), { kioskId: 'K002', op: 'card.lookup', data: { asn: ZHANG.asn } });
  t.like(parseResponseEnvelope('card.lookup', lookup), { ok: false, error: { code: 'KIOSK_NOT_ENROLLED' } });

  const revoked = await quancun('ca', 'revoke', 'K001', '--config', configFile);
  t.is(revoked.code, 0, revoked.stderr);
  t.regex(revoked.stdout, /^kiosk K001 \(board SN2025-0001\) revoked at /);
  await t.throwsAsync(loadAt(system, 'K001', ZHANG, 2000), { code: 'KIOSK_REVOKED' });
  t.is(system.bank.balanceOf('6217000010000000018'), 500_000 - 2000, 'only the load before the revocation moved money');
});

test('quancun ca: bad input is a named error with exit status 1; issued files are not overwritten, the key is 0600', async (t) => {
  const dir = await tempDir(t, 'quancun-ca-cli-');
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  raw.ca = { dir: join(dir, 'ca'), codeTtlHours: 72 };
  raw.issuer.padTransportMasterKey = '3C4D5E6F708192A3B4C5D6E7F8091A2B';
  const config = join(dir, 'gateway.json');
  await writeFile(config, JSON.stringify(raw));
  const fails = async (args: string[], stderr: string) => {
    const run = await quancun('ca', ...args);
    t.is(run.code, 1, args.join(' '));
    t.is(run.stderr, `${stderr}\n`);
  };
  await fails(['code', 'K001', '--config', config], `quancun ca code: CONFIG_INVALID: no campus CA in ${join(dir, 'ca')}: create one with \`quancun ca init\` or import one with \`quancun ca import\``);
  t.is((await quancun('ca', 'init', '--config', config)).code, 0);
  await fails(['code', 'K001', '--config', EMBEDDED_CONFIG], `quancun ca code: CONFIG_INVALID: ${EMBEDDED_CONFIG} has no "ca" section: the gateway would not enrol kiosks with this CA`);
  await fails(['code', 'K009', '--config', config], "quancun ca code: CONFIG_INVALID: no kiosk K009 in the config's kiosks[]; add it there first");
  await fails(['code', 'K001', '--hours', '1.5', '--config', config], 'quancun ca code: CONFIG_INVALID: --hours must be a whole number of hours, not 1.5');
  await fails(['issue', 'broker', '--ip', '10.0.0.300', '--host', 'mqtt.campus.test', '--out', dir, '--config', config], 'quancun ca issue: CONFIG_INVALID: --ip: 10.0.0.300 is not an IP address');
  await fails(['revoke-code', 'ffffffff', '--config', config], 'quancun ca revoke-code: CONFIG_INVALID: no enrolment code with id ffffffff (`quancun ca codes` lists them)');
  const out = join(dir, 'tls');
  t.is((await quancun('ca', 'issue', 'gateway', '--name', 'main', '--out', out, '--config', config)).code, 0);
  t.is((await stat(join(out, 'gateway.key'))).mode & 0o777, 0o600);
  await fails(['issue', 'gateway', '--name', 'main', '--out', out, '--config', config],
    `quancun ca issue: CONFIG_INVALID: ${join(out, 'gateway.key')}, ${join(out, 'gateway.crt')} already exist; choose another --out`);
  t.is(await openssl('x509', '-in', join(out, 'gateway.crt'), '-noout', '-subject'), 'subject=CN = gateway.main\n');
});
