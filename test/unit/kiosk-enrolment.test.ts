/**
 * Enrolment codes and a board's enrolment against the registry on disk: each refusal (unknown, wrong kiosk, revoked,
 * used, expired code; another board; a bad CSR) leaves the registry file byte for byte as it was. The PIN pad's key
 * comes under its transport key, checked against values computed with `openssl enc -des-ede` and written down.
 */
import test from 'ava';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseEnrolmentUri } from '../../common/api/enrolment-uri.ts';
import { QuancunError } from '../../common/errors.ts';
import { withFileLock } from '../../common/store/locked-file.ts';
import { CampusCa } from '../../gateway/ca/campus-ca.ts';
import { codeSha256, newEnrolmentCode } from '../../gateway/ca/enrolment-codes.ts';
import { KioskEnrolment, type EnrolmentData } from '../../gateway/ca/kiosk-enrolment.ts';
import { fromGateway as gatewaySide } from '../support/enrolment-keys.ts';
import { brokenSignature, openssl, opensslCsr } from '../support/openssl.ts';
import { tempDir } from '../support/temp-dir.ts';

const KIOSKS = [
  { id: 'K001', terminalId: '000000000001', reader: { backend: 'sim' as const } },
  { id: 'K002', terminalId: '000000000002', reader: { backend: 'sim' as const } },
  { id: 'K003', terminalId: '000000000003', reader: { backend: 'sim' as const } },
];
// Under ENROLMENT_KEYS (test/support/enrolment-keys.ts): printf PP2025000123 | openssl dgst -sha256 -> DC5E05B9A7C2DFDB…;
// the transport key is that diversified by openssl enc -des-ede -K 3C4D…1A2B -nopad; the PIN key K002's (terminal
// 000000000002) under PIN master key A1B2…8F90.
const PIN_KEY_OF_K002_FOR_PAD = { underTransportKey: '92F2B2AD5A85324C168762162876F926', checkValue: '61C0A0' };
const fromGateway = gatewaySide(41);

async function setup(t: Parameters<typeof tempDir>[0]) {
  const dir = await tempDir(t, 'quancun-enrol-');
  const ca = await CampusCa.create(join(dir, 'ca'), 'Test Campus CA');
  let now = new Date('2026-03-02T08:00:00.000Z');
  const enrolment = new KioskEnrolment({ ca, kiosks: KIOSKS, codeTtlHours: 72, now: () => now });
  const csr = await opensslCsr(dir);
  const request = (code: string, over: Partial<EnrolmentData> = {}): EnrolmentData => ({
    kioskId: 'K002', code, boardSerial: 'SN2025-0042', location: 'Library, ground floor', csr, pinPad: { serial: 'PP2025000123' }, ...over,
  });
  const registryText = () => readFile(enrolment.registry.storage.location, 'utf8');
  /** Asserts a refusal with `code` that leaves the registry file as it was. */
  const refused = async (data: EnrolmentData, code: string) => {
    const before = await registryText();
    await t.throwsAsync(enrolment.enrol(data, fromGateway), { instanceOf: QuancunError, code }, code);
    t.is(await registryText(), before, `${code}: the registry is unchanged`);
  };
  return { dir, ca, enrolment, request, refused, registryText, advance: (hours: number) => void (now = new Date(now.getTime() + hours * 3_600_000)) };
}

test('codes: 16 characters from an alphabet without 0, O, 1, I in four groups, all different; the hash is the SHA-256 of the text', (t) => {
  const codes = new Set(Array.from({ length: 2000 }, newEnrolmentCode));
  t.is(codes.size, 2000);
  for (const code of codes) t.regex(code, /^[2-9A-HJ-NP-Z]{4}(-[2-9A-HJ-NP-Z]{4}){3}$/);
  // printf ABCD-EFGH-JKLM-NPQR | sha256sum
  t.is(codeSha256('ABCD-EFGH-JKLM-NPQR'), '2356329028e8ba9d57b3f7b33fef1b1f6d35dc228c095c4959bb873738fc2f3c');
});

test('a code is for a kiosk of the config; its QR text carries the kiosk, the code and the CA fingerprint; the registry keeps only the hash', async (t) => {
  const { dir, ca, enrolment, registryText } = await setup(t);
  await t.throwsAsync(enrolment.issueCode('K999'), { code: 'CONFIG_INVALID', message: /no kiosk K999/ });
  const issued = await enrolment.issueCode('K002');
  t.is(issued.expiresAt, '2026-03-05T08:00:00.000Z');
  const fingerprint = (await openssl('x509', '-in', join(dir, 'ca', 'ca.crt'), '-noout', '-fingerprint', '-sha256')).trim().split('=')[1]!.replaceAll(':', '');
  t.is(issued.uri, `quancun-enrol:K002?code=${issued.code}&ca=${fingerprint}`);
  t.deepEqual(parseEnrolmentUri(issued.uri), { kioskId: 'K002', code: issued.code, caFingerprint: ca.fingerprint });
  t.false((await registryText()).includes(issued.code));
  t.true((await registryText()).includes(codeSha256(issued.code)));
  t.deepEqual(await enrolment.listCodes(), [{ id: issued.id, kioskId: 'K002', issuedAt: '2026-03-02T08:00:00.000Z', expiresAt: issued.expiresAt, replaceBoard: false, state: 'unused' }]);
});

test('an accepted enrolment: the certificate for K002 bound to the board, the CA chain, the PIN key under the pad\'s transport key; the code is used', async (t) => {
  const { dir, enrolment, request } = await setup(t);
  const { code } = await enrolment.issueCode('K002');
  const enrolled = await enrolment.enrol(request(code), fromGateway);
  t.is(enrolled.kioskId, 'K002');
  t.is(enrolled.terminalId, '000000000002');
  t.deepEqual(enrolled.pinKey, PIN_KEY_OF_K002_FOR_PAD);
  t.is(enrolled.txnSeqFloor, 41, 'the gateway\'s floor for the kiosk\'s transaction numbers, passed on');
  t.deepEqual(enrolled.caChain, [await readFile(join(dir, 'ca', 'ca.crt'), 'utf8')]);
  await writeFile(join(dir, 'k.crt'), enrolled.certificate);
  t.is(await openssl('x509', '-in', join(dir, 'k.crt'), '-noout', '-subject'), 'subject=CN = K002, serialNumber = SN2025-0042\n');
  const serial = (await openssl('x509', '-in', join(dir, 'k.crt'), '-noout', '-serial')).trim().slice('serial='.length).toLowerCase();
  const [kiosk] = await enrolment.kiosks();
  t.like(kiosk, { kioskId: 'K002', terminalId: '000000000002', boardSerial: 'SN2025-0042', location: 'Library, ground floor', certSerial: serial, enrolledAt: '2026-03-02T08:00:00.000Z' });
  t.is((await enrolment.listCodes())[0]!.state, 'used');
  await enrolment.admit('K002');
  await t.throwsAsync(enrolment.admit('K001'), { code: 'KIOSK_NOT_ENROLLED' });
});

test('an unknown code, another kiosk\'s code, a revoked code: ENROL_CODE_INVALID, nothing changes', async (t) => {
  const { enrolment, request, refused } = await setup(t);
  const forK002 = await enrolment.issueCode('K002');
  await refused(request('ABCD-EFGH-JKLM-NPQR'), 'ENROL_CODE_INVALID');
  await refused(request(forK002.code, { kioskId: 'K003' }), 'ENROL_CODE_INVALID');
  t.like(await enrolment.revokeCode(forK002.id), { state: 'revoked' });
  await refused(request(forK002.code), 'ENROL_CODE_INVALID');
  await t.throwsAsync(enrolment.revokeCode('00000000'), { code: 'CONFIG_INVALID' });
});

test('a used code is ENROL_CODE_USED; an expired one ENROL_CODE_EXPIRED; nothing changes', async (t) => {
  const { enrolment, request, refused, advance } = await setup(t);
  const first = await enrolment.issueCode('K002');
  const short = await enrolment.issueCode('K002', { hours: 1 });
  await enrolment.enrol(request(first.code), fromGateway);
  await refused(request(first.code), 'ENROL_CODE_USED');
  advance(1);
  await refused(request(short.code), 'ENROL_CODE_EXPIRED');
  t.deepEqual((await enrolment.listCodes()).map((c) => c.state), ['expired', 'used']);
});

test('another board for an enrolled kiosk id is ENROL_BOARD_MISMATCH unless the code says replace-board; the same board re-binds with a new code', async (t) => {
  const { enrolment, request, refused } = await setup(t);
  await enrolment.enrol(request((await enrolment.issueCode('K002')).code), fromGateway);
  const [first] = await enrolment.kiosks();
  await refused(request((await enrolment.issueCode('K002')).code, { boardSerial: 'SN2025-0099' }), 'ENROL_BOARD_MISMATCH');
  // The same board, re-imaged: a new code, a new certificate in place of the old one.
  await enrolment.enrol(request((await enrolment.issueCode('K002')).code, { location: 'Library, first floor' }), fromGateway);
  const [again] = await enrolment.kiosks();
  t.like(again, { boardSerial: 'SN2025-0042', location: 'Library, first floor' });
  t.not(again!.certSerial, first!.certSerial);
  await enrolment.enrol(request((await enrolment.issueCode('K002', { replaceBoard: true })).code, { boardSerial: 'SN2025-0099' }), fromGateway);
  t.like((await enrolment.kiosks())[0], { boardSerial: 'SN2025-0099' });
});

test('a CSR whose signature does not verify is ENROL_CSR_INVALID and leaves the code unused', async (t) => {
  const { enrolment, request, refused } = await setup(t);
  const issued = await enrolment.issueCode('K002');
  await refused(request(issued.code, { csr: brokenSignature(request('').csr) }), 'ENROL_CSR_INVALID');
  t.is((await enrolment.listCodes())[0]!.state, 'unused');
});

test('a revocation by another process (another registry reader) is seen at the next admit; the kiosk\'s unused codes go with it', async (t) => {
  const { ca, enrolment, request } = await setup(t);
  await enrolment.enrol(request((await enrolment.issueCode('K002')).code), fromGateway);
  const spare = await enrolment.issueCode('K002');
  await enrolment.admit('K002');
  const other = new KioskEnrolment({ ca, kiosks: KIOSKS, codeTtlHours: 72 });
  t.like(await other.revokeKiosk('K002'), { kioskId: 'K002' });
  await t.throwsAsync(enrolment.admit('K002'), { code: 'KIOSK_REVOKED' });
  t.is((await enrolment.listCodes()).find((c) => c.id === spare.id)!.state, 'revoked');
  await t.throwsAsync(other.revokeKiosk('K003'), { code: 'KIOSK_NOT_ENROLLED' });
  // Only a code issued after the revocation enrols it again.
  await enrolment.enrol(request((await enrolment.issueCode('K002')).code), fromGateway);
  await other.admit('K002');
});

test('the registry lock: a holder that is gone is broken; a live one is waited for, then named', async (t) => {
  const dir = await tempDir(t, 'quancun-lock-');
  const lock = join(dir, 'registry.lock');
  // A pid above the kernel's pid_max (4194304 at most) is no process.
  await writeFile(lock, '4194305\n');
  t.is(await withFileLock(lock, async () => 'ran'), 'ran');
  await writeFile(lock, `${process.pid}\n`);
  await t.throwsAsync(withFileLock(lock, async () => 'ran', { waitMs: 50 }), { code: 'INTERNAL', message: new RegExp(`held by process ${process.pid}`) });
});
