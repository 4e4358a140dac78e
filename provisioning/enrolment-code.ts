/**
 * What an installer types from an enrolment code's slip: the code itself, and the SHA-256 fingerprint of the campus CA
 * certificate that the board pins before it sends anything, as forgiving of case, spaces and colons as a person needs.
 * The QR's text is read by common/api/enrolment-uri.ts.
 */
import { QuancunError } from '../common/errors.ts';

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
