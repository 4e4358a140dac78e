/**
 * `quancun ca …`: the campus CA for the gateway's operator (gateway/ca/). Each command reads the gateway's config for
 * the CA folder (`ca.dir`, default `<dataDir>/ca`) and the kiosk ids, and may run while the gateway runs: the
 * registry is a locked, atomically replaced file (with a PostgreSQL store, a row of that database) the gateway
 * re-reads when it changes.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { z } from 'zod';
import { brokerAclSettings, caDir, type LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { readConfig, withConfigOption } from '../defaults.ts';

const jsonOption = { type: 'boolean', description: 'print JSON instead of text', default: false } as const;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,55}$/;

const invalid = (message: string) => new QuancunError('CONFIG_INVALID', message);

/** The one positional a command takes (a kiosk id, a code id), or CONFIG_INVALID saying which. */
function positional(positionals: string[], what: string): string {
  if (positionals.length !== 1) throw invalid(`give exactly one ${what}`);
  return positionals[0]!;
}

/** Rows as one JSON array, or a line each (`none` when there are none). */
function printList<T>(rows: T[], json: unknown, none: string, line: (row: T) => string): number {
  if (json) console.log(JSON.stringify(rows));
  else console.log(rows.length === 0 ? none : rows.map(line).join('\n'));
  return 0;
}

async function openEnrolment(loaded: LoadedConfig) {
  if (!loaded.config.ca) throw invalid(`${loaded.path} has no "ca" section: the gateway would not enrol kiosks with this CA`);
  const { KioskEnrolment } = await import('../../gateway/ca/kiosk-enrolment.ts');
  const { CaRegistry } = await import('../../gateway/ca/registry.ts');
  return KioskEnrolment.open(caDir(loaded), { kiosks: loaded.config.kiosks, codeTtlHours: loaded.config.ca.codeTtlHours, registry: CaRegistry.of(loaded) });
}


export const caInit = withConfigOption({
  name: 'ca init',
  summary: 'create the campus CA (ECDSA P-256, self-signed, 20 years) in the CA folder',
  details: 'Writes ca.crt and ca.key (mode 0600) in ca.dir (default <dataDir>/ca). An existing CA is never replaced.',
  options: { name: { type: 'string', description: "the CA's common name (default: <campus.nameEn> Campus CA)" } },
  async run(v) {
    const loaded = readConfig(v);
    const dir = caDir(loaded);
    const { CampusCa } = await import('../../gateway/ca/campus-ca.ts');
    const ca = await CampusCa.create(dir, typeof v.name === 'string' ? v.name : `${loaded.config.campus.nameEn} Campus CA`);
    console.log(`campus CA created in ${dir}\nSHA-256 fingerprint ${ca.fingerprint}`);
    return 0;
  },
});

export const caImport = withConfigOption({
  name: 'ca import',
  summary: "import an existing CA's certificate and key (PEM) as the campus CA",
  details: 'The key must be the certificate\'s and the certificate a CA\'s (basicConstraints CA:TRUE); ECDSA P-256/P-384 or RSA.',
  options: {
    cert: { type: 'string', description: 'the CA certificate, PEM' },
    key: { type: 'string', description: 'its private key, PEM (unencrypted)' },
  },
  async run(v) {
    if (typeof v.cert !== 'string' || typeof v.key !== 'string') throw invalid('--cert and --key are required');
    const loaded = readConfig(v);
    const dir = caDir(loaded);
    const read = (path: string) => readFile(path, 'utf8').catch((err: Error) => Promise.reject(invalid(`${path}: ${err.message}`)));
    const { CampusCa } = await import('../../gateway/ca/campus-ca.ts');
    const ca = await CampusCa.import(dir, await read(v.cert), await read(v.key));
    console.log(`campus CA imported into ${dir}\nSHA-256 fingerprint ${ca.fingerprint}`);
    return 0;
  },
});

export const caIssue = withConfigOption({
  name: 'ca issue',
  summary: 'issue a key and certificate: `ca issue broker|gateway|operator` (the board makes its own; see ca code)',
  details: [
    'broker:   the broker\'s server certificate, CN = --host, subjectAltName = --host and every --ip (comma-separated)',
    'gateway:  the gateway\'s client certificate, CN = gateway.<--name>',
    'operator: an operator\'s client certificate, CN = operator.<--name>',
    'Writes <kind>.key (0600), <kind>.crt and ca.crt into --out (and broker-chain.crt, the certificate then the CA, for',
    'Mosquitto\'s certfile); existing key and certificate files there are not overwritten.',
  ].join('\n'),
  options: {
    host: { type: 'string', description: 'broker: its host name (or address) as clients dial it' },
    ip: { type: 'string', description: 'broker: its IP addresses, comma-separated' },
    name: { type: 'string', description: 'gateway, operator: the name after gateway. or operator.' },
    out: { type: 'string', description: 'folder to write the files into' },
  },
  async run(v, positionals) {
    const kind = positional(positionals, 'kind: broker, gateway or operator');
    if (kind !== 'broker' && kind !== 'gateway' && kind !== 'operator') throw invalid(`nothing to issue for "${kind}": broker, gateway or operator`);
    if (typeof v.out !== 'string') throw invalid('--out is required');
    const loaded = readConfig(v);
    const { CampusCa } = await import('../../gateway/ca/campus-ca.ts');
    const ca = await CampusCa.open(caDir(loaded));
    let issued;
    if (kind === 'broker') {
      const ips = typeof v.ip === 'string' ? v.ip.split(',').map((a) => a.trim()).filter(Boolean) : [];
      const bad = ips.find((a) => isIP(a) === 0);
      if (bad !== undefined) throw invalid(`--ip: ${bad} is not an IP address`);
      if (typeof v.host !== 'string' || !(isIP(v.host) !== 0 || z.regexes.hostname.test(v.host))) throw invalid('--host: the broker\'s host name or address is required');
      issued = await ca.issueServer(v.host, ips);
    } else {
      if (typeof v.name !== 'string' || !NAME.test(v.name)) throw invalid('--name: letters, digits, _ . - (at most 56) are required');
      issued = await ca.issueClient(`${kind}.${v.name}`);
    }
    await mkdir(v.out, { recursive: true, mode: 0o700 });
    const taken = [`${kind}.key`, `${kind}.crt`].map((f) => join(String(v.out), f)).filter((f) => existsSync(f));
    if (taken.length > 0) throw invalid(`${taken.join(', ')} already exist; choose another --out`);
    await writeFile(join(v.out, `${kind}.key`), issued.keyPem, { flag: 'wx', mode: 0o600 });
    await writeFile(join(v.out, `${kind}.crt`), issued.certPem, { flag: 'wx' });
    await writeFile(join(v.out, 'ca.crt'), ca.certPem);
    // Mosquitto sends its certfile as the chain: with the CA in it, a board can pin the CA by fingerprint (provision).
    if (kind === 'broker') await writeFile(join(v.out, 'broker-chain.crt'), issued.certPem + ca.certPem);
    console.log(`${kind}.key, ${kind}.crt${kind === 'broker' ? ', broker-chain.crt' : ''} and ca.crt written to ${v.out}`);
    if (kind !== 'broker') {
      const { CaRegistry } = await import('../../gateway/ca/registry.ts');
      const { recordClient } = await import('../../gateway/ca/broker-acl.ts');
      const registry = CaRegistry.of(loaded);
      await recordClient(registry, `${kind}.${v.name}`, issued.certPem);
      await brokerAclApplied(loaded, registry);
    }
    return 0;
  },
});

export const caCode = withConfigOption({
  name: 'ca code',
  summary: 'issue a one-time enrolment code for a kiosk id of the config, shown as text and QR code',
  details: [
    'quancun ca code <kioskId>: the installer types the code (or scans the QR code) in `quancun provision` on the board.',
    'The code is shown once; only its SHA-256 is kept. The QR code also carries the campus CA\'s fingerprint.',
    'A kiosk id stays bound to the board that first enrolled with it; --replace-board lets this code move it to another.',
  ].join('\n'),
  options: {
    hours: { type: 'string', description: 'hours the code stays valid (default: the config\'s ca.codeTtlHours, 72)' },
    'replace-board': { type: 'boolean', description: 'the kiosk id may move to a different board', default: false },
    png: { type: 'string', description: 'also write the QR code as a PNG file' },
    json: jsonOption,
  },
  async run(v, positionals) {
    const kioskId = positional(positionals, 'kiosk id');
    let hours: number | undefined;
    if (typeof v.hours === 'string') {
      if (!/^\d+$/.test(v.hours)) throw invalid(`--hours must be a whole number of hours, not ${v.hours}`);
      hours = Number(v.hours);
    }
    const enrolment = await openEnrolment(readConfig(v));
    const issued = await enrolment.issueCode(kioskId, { ...(hours !== undefined ? { hours } : {}), replaceBoard: Boolean(v['replace-board']) });
    const QRCode = (await import('qrcode')).default;
    if (typeof v.png === 'string') await QRCode.toFile(v.png, issued.uri, { type: 'png' });
    if (v.json) {
      console.log(JSON.stringify(issued));
      return 0;
    }
    console.log([
      `Enrolment code for ${issued.kioskId} (id ${issued.id}${issued.replaceBoard ? ', may replace the board' : ''}), valid until ${issued.expiresAt}:`,
      '', `    ${issued.code}`, '',
      await QRCode.toString(issued.uri, { type: 'terminal', small: true }),
      issued.uri,
      'Shown once: hand it to the installer now. `quancun ca codes` lists it without the code.',
    ].join('\n'));
    return 0;
  },
});

export const caCodes = withConfigOption({
  name: 'ca codes',
  summary: 'list the enrolment codes issued: id, kiosk, expiry, state (never the code)',
  options: { json: jsonOption },
  async run(v) {
    return printList(await (await openEnrolment(readConfig(v))).listCodes(), v.json, 'no enrolment codes issued',
      (c) => `${c.id}  ${c.kioskId.padEnd(12)} ${c.state.padEnd(8)} expires ${c.expiresAt}${c.replaceBoard ? '  replace-board' : ''}`);
  },
});

export const caRevokeCode = withConfigOption({
  name: 'ca revoke-code',
  summary: 'revoke an unused enrolment code by its id (from `ca codes`)',
  async run(v, positionals) {
    const code = await (await openEnrolment(readConfig(v))).revokeCode(positional(positionals, 'code id'));
    console.log(`code ${code.id} for ${code.kioskId}: ${code.state}`);
    return 0;
  },
});

export const caKiosks = withConfigOption({
  name: 'ca kiosks',
  summary: 'list the enrolled kiosks: board serial, location, certificate, enrolled or revoked',
  options: { json: jsonOption },
  async run(v) {
    return printList(await (await openEnrolment(readConfig(v))).kiosks(), v.json, 'no kiosk enrolled', (k) => {
      const state = k.revokedAt ? `revoked ${k.revokedAt}` : `enrolled ${k.enrolledAt}`;
      return `${k.kioskId.padEnd(12)} board ${k.boardSerial.padEnd(16)} ${state}  cert ${k.certSerial} until ${k.certNotAfter}  ${k.location}`;
    });
  },
});

export const caRevoke = withConfigOption({
  name: 'ca revoke',
  summary: 'revoke an enrolled kiosk: the running gateway refuses its next request (KIOSK_REVOKED)',
  details: 'Its unused enrolment codes are revoked too; a code issued afterwards can enrol it again.',
  async run(v, positionals) {
    const loaded = readConfig(v);
    const enrolment = await openEnrolment(loaded);
    const kiosk = await enrolment.revokeKiosk(positional(positionals, 'kiosk id'));
    console.log(`kiosk ${kiosk.kioskId} (board ${kiosk.boardSerial}) revoked at ${kiosk.revokedAt}`);
    await brokerAclApplied(loaded, enrolment.registry);
    return 0;
  },
});

export const caBrokerAcl = withConfigOption({
  name: 'ca broker-acl',
  summary: 'write the campus Mosquitto\'s ACL files (kiosks.acl, installers.acl) into --out, from the registry',
  details: 'With `ca.broker` in the config, revocations, re-enrolments and issued gateway/operator certificates keep its aclFile current by themselves.',
  options: { out: { type: 'string', description: 'folder to write the files into' } },
  async run(v) {
    if (typeof v.out !== 'string') throw invalid('--out is required');
    const loaded = readConfig(v);
    const { CaRegistry } = await import('../../gateway/ca/registry.ts');
    const { writeBrokerAcls } = await import('../../gateway/ca/broker-acl.ts');
    await mkdir(v.out, { recursive: true });
    console.log(`${(await writeBrokerAcls(CaRegistry.of(loaded), v.out)).join(', ')} written`);
    return 0;
  },
});

/** With `ca.broker` configured: the broker's ACL file rewritten and reloaded, and said so. */
async function brokerAclApplied(loaded: LoadedConfig, registry: import('../../gateway/ca/registry.ts').CaRegistry): Promise<void> {
  const settings = brokerAclSettings(loaded);
  if (!settings) return;
  const { applyBrokerAcl } = await import('../../gateway/ca/broker-acl.ts');
  await applyBrokerAcl(registry, settings);
  console.log(`broker ACL ${settings.aclFile} rewritten${settings.reload.length ? ` and reloaded (${settings.reload.join(' ')})` : ''}`);
}

export const caCommands = [caInit, caImport, caIssue, caCode, caCodes, caRevokeCode, caKiosks, caRevoke, caBrokerAcl];
