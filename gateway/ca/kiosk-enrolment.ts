/**
 * Enrolment on the gateway's side: one-time codes for the config's kiosk ids, a board's enrolment with one (the code
 * checked, the kiosk id bound to the board serial, the CSR signed), the kiosks enrolled and revoked, and the check
 * that a request comes from a kiosk enrolled and not revoked. State is the CA folder's registry (registry.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Config } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { enrolmentUri } from '../../common/api/enrolment-uri.ts';
import type { EnrolmentRequest, EnrolmentResponse } from '../../common/api/topics.ts';
import { CampusCa } from './campus-ca.ts';
import { codeSha256, newEnrolmentCode } from './enrolment-codes.ts';
import { CaRegistry, type CodeRecord, type KioskRecord } from './registry.ts';

const HOUR_MS = 3_600_000;

export type EnrolmentData = EnrolmentRequest['data'];
export type EnrolledData = Extract<EnrolmentResponse, { ok: true }>['data'];
export type PinKeyForPad = (terminalId: string, padSerial: string) => EnrolledData['pinKey'];

/** What the gateway adds to an enrolment: the pad's key from its key store, the kiosk's transactions from its journal. */
export interface FromGateway {
  pinKeyFor: PinKeyForPad;
  /** The highest transaction number the gateway has from this kiosk id. */
  txnSeqFloor: number;
}

export interface IssuedCode {
  id: string;
  kioskId: string;
  /** Shown once, here; the registry keeps only its hash. */
  code: string;
  expiresAt: string;
  replaceBoard: boolean;
  /** The QR code's text (common/api/enrolment-uri.ts). */
  uri: string;
}

export type CodeState = 'unused' | 'used' | 'expired' | 'revoked';
export type CodeListing = Omit<CodeRecord, 'sha256'> & { state: CodeState };

export interface KioskEnrolmentOptions {
  ca: CampusCa;
  kiosks: Config['kiosks'];
  /** Hours a code stays valid when its issuer does not say (config `ca.codeTtlHours`). */
  codeTtlHours: number;
  /** Tests set the clock. */
  now?: () => Date;
  /** Where enrolments are kept (CaRegistry.of the config); by default the file in the CA's folder. */
  registry?: CaRegistry;
}

export class KioskEnrolment {
  readonly registry: CaRegistry;
  readonly #o: KioskEnrolmentOptions;

  constructor(o: KioskEnrolmentOptions) {
    this.#o = o;
    this.registry = o.registry ?? CaRegistry.inFolder(o.ca.dir);
  }

  static async open(dir: string, o: Omit<KioskEnrolmentOptions, 'ca'>): Promise<KioskEnrolment> {
    return new KioskEnrolment({ ...o, ca: await CampusCa.open(dir) });
  }

  #now(): Date {
    return this.#o.now?.() ?? new Date();
  }

  #kiosk(kioskId: string) {
    return this.#o.kiosks.find((k) => k.id === kioskId);
  }

  async issueCode(kioskId: string, o: { hours?: number; replaceBoard?: boolean } = {}): Promise<IssuedCode> {
    if (!this.#kiosk(kioskId)) throw new QuancunError('CONFIG_INVALID', `no kiosk ${kioskId} in the config's kiosks[]; add it there first`);
    const hours = o.hours ?? this.#o.codeTtlHours;
    if (!Number.isInteger(hours) || hours < 1 || hours > 24 * 90) throw new QuancunError('CONFIG_INVALID', `a code lives 1 to ${24 * 90} whole hours, not ${hours}`);
    const code = newEnrolmentCode();
    const now = this.#now();
    const record: CodeRecord = {
      id: randomBytes(4).toString('hex'), kioskId, sha256: codeSha256(code), issuedAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + hours * HOUR_MS).toISOString(), replaceBoard: o.replaceBoard ?? false,
    };
    await this.registry.update((r) => void r.codes.push(record));
    const { id, expiresAt, replaceBoard } = record;
    return { id, kioskId, code, expiresAt, replaceBoard, uri: enrolmentUri({ kioskId, code, caFingerprint: this.#o.ca.fingerprint }) };
  }

  /** Every code issued, newest first, with its state; never the code. */
  async listCodes(): Promise<CodeListing[]> {
    const now = this.#now();
    return (await this.registry.read()).codes.map(({ sha256: _, ...c }) => ({ ...c, state: codeState(c, now) })).reverse();
  }

  /** The code can no longer enrol. Its id unknown is CONFIG_INVALID; a used code stays used. */
  async revokeCode(id: string): Promise<CodeListing> {
    return this.registry.update((r) => {
      const record = r.codes.find((c) => c.id === id);
      if (!record) throw new QuancunError('CONFIG_INVALID', `no enrolment code with id ${id} (\`quancun ca codes\` lists them)`);
      if (!record.usedAt) record.revokedAt ??= this.#now().toISOString();
      const { sha256: _, ...listed } = record;
      return { ...listed, state: codeState(record, this.#now()) };
    });
  }

  /**
   * A board's enrolment. Every check comes before any change, so a refusal changes nothing: the code (this kiosk
   * id's, not revoked, unused, unexpired), the board (a kiosk id stays bound to its board serial unless the code
   * says replaceBoard), the CSR. Then the code is used, the kiosk (re)bound and its certificate recorded.
   */
  async enrol(data: EnrolmentData, gateway: FromGateway): Promise<EnrolledData> {
    const kiosk = this.#kiosk(data.kioskId);
    return this.registry.update(async (r) => {
      const now = this.#now();
      const sha256 = codeSha256(data.code);
      const code = r.codes.find((c) => c.sha256 === sha256);
      if (!code || code.kioskId !== data.kioskId || code.revokedAt || !kiosk) {
        throw new QuancunError('ENROL_CODE_INVALID', `no valid enrolment code for kiosk ${data.kioskId} was given`);
      }
      if (code.usedAt) throw new QuancunError('ENROL_CODE_USED', `that enrolment code for ${data.kioskId} was used at ${code.usedAt}`);
      if (now.getTime() >= Date.parse(code.expiresAt)) throw new QuancunError('ENROL_CODE_EXPIRED', `that enrolment code for ${data.kioskId} expired at ${code.expiresAt}`);
      const bound = r.kiosks[data.kioskId];
      if (bound && bound.boardSerial !== data.boardSerial && !code.replaceBoard) {
        throw new QuancunError('ENROL_BOARD_MISMATCH', `kiosk ${data.kioskId} is bound to board ${bound.boardSerial}; a code issued with replace-board moves it to another`);
      }
      const pinKey = gateway.pinKeyFor(kiosk.terminalId, data.pinPad.serial);
      const cert = await this.#o.ca.signKioskCsr(data.csr, data.kioskId, data.boardSerial, now);
      code.usedAt = now.toISOString();
      r.kiosks[data.kioskId] = {
        kioskId: data.kioskId, terminalId: kiosk.terminalId.toUpperCase(), boardSerial: data.boardSerial, location: data.location,
        certSerial: cert.serial, certFingerprint: cert.fingerprint, certNotAfter: cert.notAfter.toISOString(), enrolledAt: code.usedAt,
      };
      return {
        kioskId: data.kioskId, terminalId: kiosk.terminalId.toUpperCase(), certificate: cert.certPem, caChain: [this.#o.ca.certPem],
        txnSeqFloor: gateway.txnSeqFloor, pinKey,
      };
    });
  }

  async kiosks(): Promise<KioskRecord[]> {
    return Object.values((await this.registry.read()).kiosks);
  }

  /**
   * The kiosk is refused from its next request on (`admit`), and its unused codes are revoked with it: only a code
   * issued after this can enrol it again.
   */
  async revokeKiosk(kioskId: string): Promise<KioskRecord> {
    return this.registry.update((r) => {
      const kiosk = r.kiosks[kioskId];
      if (!kiosk) throw new QuancunError('KIOSK_NOT_ENROLLED', `kiosk ${kioskId} is not enrolled; nothing to revoke`);
      const now = this.#now().toISOString();
      kiosk.revokedAt ??= now;
      for (const code of r.codes) if (code.kioskId === kioskId && !code.usedAt) code.revokedAt ??= now;
      return kiosk;
    });
  }

  /** Whether the gateway serves this kiosk: enrolled and not revoked, as the registry on disk says now. */
  async admit(kioskId: string): Promise<void> {
    const kiosk = (await this.registry.cached()).kiosks[kioskId];
    if (!kiosk) throw new QuancunError('KIOSK_NOT_ENROLLED', `kiosk ${kioskId} is not enrolled with this gateway`);
    if (kiosk.revokedAt) throw new QuancunError('KIOSK_REVOKED', `kiosk ${kioskId} was revoked at ${kiosk.revokedAt}`);
  }
}

function codeState(code: Omit<CodeRecord, 'sha256'>, now: Date): CodeState {
  if (code.usedAt) return 'used';
  if (code.revokedAt) return 'revoked';
  return now.getTime() >= Date.parse(code.expiresAt) ? 'expired' : 'unused';
}
