/**
 * `quancun provision` without its prompts: a board from its factory state to an enrolled kiosk, one step after the
 * other, each reported to `progress`. Nothing is written on the board (no file, no EEPROM byte, no pad key) before
 * the gateway has granted the enrolment: the key pair waits in a temporary folder that is removed whatever happens.
 *
 * Trust in the broker: with mqtts:// the campus CA is pinned from the broker's own TLS chain by the fingerprint given
 * with the enrolment code (ca-pin.ts). With mqtt:// (test setups without TLS only) there is no chain to pin from, so
 * the caller must hand the CA certificate itself (`caPem`), whose fingerprint must still be the code's; the chain the
 * gateway returns must contain that same CA either way.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BoardProfileInput } from '../board/board-profile.ts';
import type { Devices } from '../board/devices.ts';
import { QuancunError } from '../common/errors.ts';
import { certificateFingerprint } from '../common/mqtt/tls-files.ts';
import { readBoardIdentity, writeBoardIdentity } from '../hal/i2c/board-identity.ts';
import { makeBoardKey } from './board-key.ts';
import { pinCampusCa } from './ca-pin.ts';
import { requestEnrolment, type EnrolmentGrant } from './enrolment-client.ts';
import { saveTouchCalibration, writeKioskFiles } from './kiosk-files.ts';
import type { TouchCalibration } from '../hal/touch/evdev-touch.ts';
import { KioskJournal, kioskJournalPath } from '../runtime/journal/kiosk-journal.ts';
import { loadEnrolledPinKey } from './pin-key-injection.ts';
import { runSelfTest, touchCalibrationPath, type Installer, type SelfTestOptions } from './self-test.ts';
import { keepReport, publishReport, selfTestReport, type SelfTestReport } from './self-test-report.ts';

export interface ProvisionInput {
  kioskId: string;
  location: string;
  /** The one-time enrolment code; never logged or printed. */
  code: string;
  /** SHA-256 of the campus CA certificate, 64 uppercase hex. */
  caFingerprint: string;
  enrol: { url: string; username: string; password: string; timeoutMs?: number };
  /** Only with an mqtt:// enrolment URL: the campus CA certificate, PEM (see above). */
  caPem?: string;
  /** The broker the kiosk will use with its certificate; default the enrolment URL's. */
  brokerUrl?: string;
  configPath: string;
  dataDir: string;
  board: BoardProfileInput;
  campus?: { name: string; nameEn: string };
  selfTest: Omit<SelfTestOptions, 'padKeyCheckValue' | 'dataDir' | 'kioskId'>;
}

export type StepName = 'identity' | 'pin-pad' | 'campus-ca' | 'key-pair' | 'enrolment' | 'pin-key' | 'files' | 'journal' | 'eeprom' | 'self-test' | 'report';

export interface Progress {
  start(step: StepName, text: string): void;
  done(step: StepName, text: string): void;
}

export interface ProvisionResult {
  grant: EnrolmentGrant;
  boardSerial: string;
  report: SelfTestReport;
  reportFiles: { json: string; text: string };
  /** Why the report could not be published, when it could not. */
  publishError?: QuancunError;
}

async function step<T>(progress: Progress, name: StepName, text: string, run: () => Promise<T>, result: (value: T) => string): Promise<T> {
  progress.start(name, text);
  const value = await run();
  progress.done(name, result(value));
  return value;
}

const fingerprintOf = (pem: string) => certificateFingerprint(new X509Certificate(pem));

async function campusCa(input: ProvisionInput): Promise<string> {
  const url = new URL(input.enrol.url);
  if (url.protocol === 'mqtts:') return pinCampusCa(url.hostname.replace(/^\[|\]$/g, ''), Number(url.port || 8883), input.caFingerprint);
  if (url.protocol !== 'mqtt:') throw new QuancunError('CONFIG_INVALID', `the enrolment URL must be mqtts://host:port, not ${url.protocol}`);
  if (!input.caPem) throw new QuancunError('CONFIG_INVALID', 'an mqtt:// enrolment URL has no TLS chain to pin the campus CA from: give the CA certificate file (--ca-file), or use mqtts://');
  if (fingerprintOf(input.caPem) !== input.caFingerprint) throw new QuancunError('ENROL_CA_MISMATCH', 'the CA certificate file given is not the campus CA of the enrolment code');
  return input.caPem;
}

export async function provision(devices: Devices, installer: Installer, input: ProvisionInput, progress: Progress): Promise<ProvisionResult> {
  const { eeprom, pinPad } = devices;
  if (!eeprom) throw new QuancunError('DEVICE_UNAVAILABLE', 'the identity EEPROM cannot be reached (no I2C bus)');
  const identity = await step(progress, 'identity', 'Reading the board identity EEPROM', () => readBoardIdentity(eeprom),
    (id) => `board serial ${id.serial}${id.kioskId ? ` (was kiosk ${id.kioskId}: it enrols again)` : ''}`);
  const pad = await step(progress, 'pin-pad', 'Asking the PIN pad who it is', async () => {
    await pinPad.start();
    return pinPad.info();
  }, (info) => `PIN pad serial ${info.serial}`);
  const ca = await step(progress, 'campus-ca', `Checking the campus CA at ${input.enrol.url}`, () => campusCa(input),
    () => `campus CA ${input.caFingerprint.slice(0, 16)}… pinned`);

  const temp = await mkdtemp(join(tmpdir(), 'quancun-provision-'));
  try {
    const keyPath = join(temp, 'kiosk.key');
    const { csr } = await step(progress, 'key-pair', 'Making the kiosk key pair on the board',
      () => makeBoardKey(keyPath, { kioskId: input.kioskId, boardSerial: identity.serial }), () => 'ECDSA P-256 key pair made; only the request leaves the board');
    const grant = await step(progress, 'enrolment', `Enrolling ${input.kioskId} with the gateway`, async () => {
      const g = await requestEnrolment({ ...input.enrol, ca }, {
        kioskId: input.kioskId, code: input.code, boardSerial: identity.serial, location: input.location, csr, pinPad: { serial: pad.serial },
      });
      checkGrant(g, input.caFingerprint, await readFile(keyPath, 'utf8'));
      return g;
    }, (g) => `certificate for ${g.kioskId} issued; terminal id ${g.terminalId}`);

    await step(progress, 'pin-key', 'Loading the PIN key into the pad', () => loadEnrolledPinKey(pinPad, grant.pinKey), (kcv) => `the pad took its key; check value ${kcv}`);
    const files = await step(progress, 'files', `Writing the kiosk config and TLS files`, () => writeKioskFiles({
      configPath: input.configPath, keyPath, certificate: grant.certificate, caChain: grant.caChain,
      kiosk: { id: grant.kioskId, terminalId: grant.terminalId }, brokerUrl: input.brokerUrl ?? input.enrol.url,
      dataDir: input.dataDir, board: input.board, ...(input.campus ? { campus: input.campus } : {}),
    }), (f) => `${f.configPath} and ${f.tls.cert}, ${f.tls.key} (0600), ${f.tls.ca}`);
    await step(progress, 'journal', 'Numbering the journal after the gateway\'s transactions', () => continueJournal(input.dataDir, grant),
      () => `transaction ids of ${grant.kioskId} continue after ${grant.txnSeqFloor}`);
    await step(progress, 'eeprom', 'Writing the identity to the EEPROM', () => writeBoardIdentity(eeprom, {
      ...identity, kioskId: grant.kioskId, provisionedAt: new Date(),
    }), () => `kiosk ${grant.kioskId} on board ${identity.serial}`);

    const checks = await step(progress, 'self-test', 'Running the self-test', () => runSelfTest(devices, installer, {
      ...input.selfTest, padKeyCheckValue: grant.pinKey.checkValue, dataDir: input.dataDir, kioskId: grant.kioskId,
    }), (c) => `${c.filter((r) => r.status === 'pass').length} passed, ${c.filter((r) => r.status === 'fail').length} failed, ${c.filter((r) => r.status === 'skipped').length} skipped`);
    if (checks.some((c) => c.check === 'touch' && c.status === 'pass')) {
      const { calibration } = JSON.parse(await readFile(touchCalibrationPath(input.dataDir), 'utf8')) as { calibration: TouchCalibration };
      await saveTouchCalibration(files.configPath, calibration);
    }
    const report = selfTestReport(identity.serial, checks);
    progress.start('report', 'Keeping and publishing the self-test report');
    const reportFiles = await keepReport(input.dataDir, grant.kioskId, report);
    let publishError: QuancunError | undefined;
    try {
      await publishReport({
        url: input.brokerUrl ?? input.enrol.url, kioskId: grant.kioskId,
        tls: { ca: grant.caChain.join('\n'), cert: grant.certificate, key: await readFile(keyPath, 'utf8') },
      }, report);
    } catch (err) {
      publishError = QuancunError.from(err);
    }
    progress.done('report', `kept in ${reportFiles.text} and ${reportFiles.json}; ${publishError ? `NOT published (${publishError.code}: ${publishError.message})` : 'published'}`);
    return { grant, boardSerial: identity.serial, report, reportFiles, ...(publishError ? { publishError } : {}) };
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

/**
 * A re-imaged board's journal is new, but the kiosk id has a past at the gateway: its transaction ids go on after the
 * highest the gateway has, or the first load would reuse one (TXN_STATE, the load refused).
 */
async function continueJournal(dataDir: string, grant: EnrolmentGrant): Promise<void> {
  const journal = new KioskJournal(kioskJournalPath(dataDir, grant.kioskId), grant.kioskId);
  await journal.open();
  try {
    await journal.continueAfter(grant.txnSeqFloor);
  } finally {
    await journal.close();
  }
}

/** The gateway's answer must chain to the pinned CA and certify the key made here. */
function checkGrant(grant: EnrolmentGrant, caFingerprint: string, privateKeyPem: string): void {
  if (!grant.caChain.some((pem) => fingerprintOf(pem) === caFingerprint)) {
    throw new QuancunError('ENROL_CA_MISMATCH', 'the CA chain the gateway returned does not contain the campus CA of the enrolment code');
  }
  const cert = new X509Certificate(grant.certificate);
  if (!cert.checkPrivateKey(createPrivateKey(privateKeyPem))) {
    throw new QuancunError('ENROL_CSR_INVALID', 'the certificate the gateway returned is not for the key made on this board');
  }
}
