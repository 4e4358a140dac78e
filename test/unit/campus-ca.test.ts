/**
 * The campus CA's certificates as openssl reads them: the CA itself, a kiosk's from a CSR made by `openssl req`
 * (subject from the enrolment, not the CSR), the broker's and the gateway's, an imported CA. openssl verifies each
 * chain and prints each field the tests compare with values written here.
 */
import test from 'ava';
import { stat, writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { CampusCa } from '../../gateway/ca/campus-ca.ts';
import { brokenSignature, openssl, opensslCsr } from '../support/openssl.ts';
import { tempDir } from '../support/temp-dir.ts';

async function newCa(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'quancun-ca-');
  const ca = await CampusCa.create(join(dir, 'ca'), 'Demo University Campus CA');
  return { dir, ca, caCrt: join(dir, 'ca', 'ca.crt') };
}

const colonless = (fingerprintLine: string) => fingerprintLine.trim().split('=')[1]!.replaceAll(':', '');

test('a new CA is self-signed, CA:TRUE, keyCertSign, P-256, its key 0600, its fingerprint the one openssl shows', async (t) => {
  const { ca, caCrt, dir } = await newCa(t);
  t.is(await openssl('verify', '-CAfile', caCrt, caCrt), `${caCrt}: OK\n`);
  t.is(await openssl('x509', '-in', caCrt, '-noout', '-subject', '-issuer'), 'subject=CN = Demo University Campus CA\nissuer=CN = Demo University Campus CA\n');
  const ext = await openssl('x509', '-in', caCrt, '-noout', '-ext', 'basicConstraints,keyUsage');
  t.regex(ext, /critical\n\s+CA:TRUE, pathlen:0\n/);
  t.regex(ext, /Certificate Sign, CRL Sign/);
  t.regex(await openssl('x509', '-in', caCrt, '-noout', '-text'), /ASN1 OID: prime256v1/);
  t.is(colonless(await openssl('x509', '-in', caCrt, '-noout', '-fingerprint', '-sha256')), ca.fingerprint);
  t.is((await stat(join(dir, 'ca', 'ca.key'))).mode & 0o777, 0o600);
  await t.throwsAsync(CampusCa.create(join(dir, 'ca'), 'Another'), { instanceOf: QuancunError, message: /already holds a campus CA/ });
});

test('a kiosk certificate from an openssl CSR: verifies, CN = kiosk id and serialNumber = board serial, clientAuth, the CSR\'s key', async (t) => {
  const { ca, caCrt, dir } = await newCa(t);
  const csr = await opensslCsr(dir);
  const cert = await ca.signKioskCsr(csr, 'K003', 'SN2025-0042');
  const crt = join(dir, 'kiosk.crt');
  await writeFile(crt, cert.certPem);
  t.is(await openssl('verify', '-CAfile', caCrt, '-purpose', 'sslclient', crt), `${crt}: OK\n`);
  t.is(await openssl('x509', '-in', crt, '-noout', '-subject'), 'subject=CN = K003, serialNumber = SN2025-0042\n');
  t.regex(await openssl('x509', '-in', crt, '-noout', '-ext', 'extendedKeyUsage'), /TLS Web Client Authentication/);
  t.is(await openssl('x509', '-in', crt, '-noout', '-pubkey'), await openssl('req', '-in', join(dir, 'board.csr'), '-noout', '-pubkey'));
  t.is(colonless(await openssl('x509', '-in', crt, '-noout', '-fingerprint', '-sha256')), cert.fingerprint);
  t.is((await openssl('x509', '-in', crt, '-noout', '-serial')).trim(), `serial=${cert.serial.toUpperCase()}`);
  const end = (await openssl('x509', '-in', crt, '-noout', '-enddate')).trim().slice('notAfter='.length);
  t.is(new Date(end).getTime(), Math.floor(cert.notAfter.getTime() / 1000) * 1000);
});

test('a CSR whose signature does not verify, or that is no CSR, is ENROL_CSR_INVALID', async (t) => {
  const { ca, dir } = await newCa(t);
  const csr = await opensslCsr(dir);
  await t.throwsAsync(ca.signKioskCsr(brokenSignature(csr), 'K003', 'SN1'), { instanceOf: QuancunError, code: 'ENROL_CSR_INVALID', message: /signature/ });
  const cert = await readFile(join(dir, 'ca', 'ca.crt'), 'utf8');
  await t.throwsAsync(ca.signKioskCsr(cert, 'K003', 'SN1'), { instanceOf: QuancunError, code: 'ENROL_CSR_INVALID' });
});

test('the broker\'s certificate: serverAuth, the host and addresses in subjectAltName, its key matches', async (t) => {
  const { ca, caCrt, dir } = await newCa(t);
  const issued = await ca.issueServer('mqtt.campus.test', ['10.0.0.5', '127.0.0.1']);
  await writeFile(join(dir, 'broker.crt'), issued.certPem);
  await writeFile(join(dir, 'broker.key'), issued.keyPem);
  const crt = join(dir, 'broker.crt');
  t.is(await openssl('verify', '-CAfile', caCrt, '-purpose', 'sslserver', crt), `${crt}: OK\n`);
  t.is(await openssl('x509', '-in', crt, '-noout', '-subject'), 'subject=CN = mqtt.campus.test\n');
  t.regex(await openssl('x509', '-in', crt, '-noout', '-ext', 'subjectAltName'), /DNS:mqtt\.campus\.test, IP Address:10\.0\.0\.5, IP Address:127\.0\.0\.1/);
  t.is(await openssl('pkey', '-in', join(dir, 'broker.key'), '-pubout'), await openssl('x509', '-in', crt, '-noout', '-pubkey'));
});

test('the gateway\'s client certificate: CN = gateway.<name>, clientAuth, verifies', async (t) => {
  const { ca, caCrt, dir } = await newCa(t);
  const issued = await ca.issueClient('gateway.main');
  const crt = join(dir, 'gateway.crt');
  await writeFile(crt, issued.certPem);
  t.is(await openssl('verify', '-CAfile', caCrt, '-purpose', 'sslclient', crt), `${crt}: OK\n`);
  t.is(await openssl('x509', '-in', crt, '-noout', '-subject'), 'subject=CN = gateway.main\n');
});

test('an imported openssl CA issues certificates that verify against it; a key not its own or a non-CA certificate is CONFIG_INVALID', async (t) => {
  const dir = await tempDir(t, 'quancun-ca-');
  const [caKey, caCrt, other] = ['own.key', 'own.crt', 'other.key'].map((f) => join(dir, f)) as [string, string, string];
  await openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-384', '-nodes', '-keyout', caKey, '-out', caCrt,
    '-subj', '/CN=Existing Campus Root', '-days', '3650', '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign');
  await openssl('genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', other);
  const [certPem, keyPem, otherPem] = await Promise.all([caCrt, caKey, other].map((f) => readFile(f, 'utf8')));
  await t.throwsAsync(CampusCa.import(join(dir, 'bad'), certPem!, otherPem!), { code: 'CONFIG_INVALID', message: /does not belong/ });
  const ca = await CampusCa.import(join(dir, 'ca'), certPem!, keyPem!);
  const leaf = join(dir, 'op.crt');
  const operator = await ca.issueClient('operator.alice');
  await writeFile(leaf, operator.certPem);
  t.is(await openssl('verify', '-CAfile', caCrt, leaf), `${leaf}: OK\n`);
  t.regex(await openssl('x509', '-in', leaf, '-noout', '-issuer'), /issuer=CN = Existing Campus Root/);
  await t.throwsAsync(CampusCa.import(join(dir, 'leaf'), operator.certPem, operator.keyPem), { code: 'CONFIG_INVALID', message: /not a CA certificate/ });
});
