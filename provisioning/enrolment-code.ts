/**
 * What an installer is handed with an enrolment code: the code itself, and the SHA-256 fingerprint of the campus CA
 * certificate that the board pins before it sends anything, as text or in the QR's URI. The URI is read by its query
 * (`…?kiosk=K001&code=ABCD-EFGH-JKLM-NPQR&url=mqtts://broker:8883&ca=<64 hex>`), whatever its scheme; every part is
 * optional here and a flag or prompt supplies what it lacks.
 */
import { QuancunError } from '../common/errors.ts';

export interface EnrolmentTicket {
  kioskId?: string;
  code?: string;
  /** The broker's provisioning listener, mqtts://host:port. */
  url?: string;
  /** SHA-256 of the campus CA certificate (DER), 64 uppercase hex digits. */
  caFingerprint?: string;
}

export const CODE_PATTERN = /^[0-9A-Z]{4}(-[0-9A-Z]{4}){3}$/;

/** Colons, spaces and case as openssl or a browser show it are all accepted: `AB:CD:…`, `abcd…`. */
export function normaliseFingerprint(text: string): string {
  const hex = text.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{64}$/.test(hex)) throw new QuancunError('CONFIG_INVALID', 'the CA fingerprint must be a SHA-256 fingerprint: 64 hex digits (colons allowed)');
  return hex;
}

export function normaliseCode(text: string): string {
  const code = text.trim().toUpperCase();
  if (!CODE_PATTERN.test(code)) throw new QuancunError('ENROL_CODE_INVALID', 'an enrolment code is four groups of four letters or digits: XXXX-XXXX-XXXX-XXXX');
  return code;
}

export function parseEnrolmentUri(uri: string): EnrolmentTicket {
  const query = uri.trim().split('?').slice(1).join('?');
  if (!query) throw new QuancunError('CONFIG_INVALID', 'the enrolment URI has no query (…?code=…&ca=…)');
  const params = new URLSearchParams(query);
  const get = (name: string) => params.get(name) ?? undefined;
  const code = get('code');
  const ca = get('ca');
  const kioskId = get('kiosk');
  const url = get('url');
  return {
    ...(kioskId ? { kioskId } : {}),
    ...(code ? { code: normaliseCode(code) } : {}),
    ...(url ? { url } : {}),
    ...(ca ? { caFingerprint: normaliseFingerprint(ca) } : {}),
  };
}
