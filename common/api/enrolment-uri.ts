/**
 * What an enrolment code's QR code says: `quancun-enrol:<kioskId>?code=<code>&ca=<SHA-256 of the campus CA
 * certificate, 64 hex>`. `quancun ca code` prints it; the board's `quancun provision` reads it and pins the CA by its
 * fingerprint before it trusts the broker's TLS certificate.
 */
import { QuancunError } from '../errors.ts';
import { enrolment, topicLevelSchema } from './topics.ts';

export const ENROLMENT_URI_SCHEME = 'quancun-enrol:';

export interface EnrolmentUri {
  kioskId: string;
  code: string;
  caFingerprint: string;
}

export function enrolmentUri({ kioskId, code, caFingerprint }: EnrolmentUri): string {
  return `${ENROLMENT_URI_SCHEME}${kioskId}?code=${code}&ca=${caFingerprint.toUpperCase()}`;
}

/** The kiosk id, code and CA fingerprint of a scanned QR text; anything else is ENROL_CODE_INVALID (the text is not echoed). */
export function parseEnrolmentUri(text: string): EnrolmentUri {
  const invalid = (why: string) => new QuancunError('ENROL_CODE_INVALID', `not an enrolment QR code: ${why}`);
  if (!text.startsWith(ENROLMENT_URI_SCHEME)) throw invalid(`it does not start with ${ENROLMENT_URI_SCHEME}`);
  const [kioskId = '', query = ''] = text.slice(ENROLMENT_URI_SCHEME.length).split('?', 2);
  const params = new URLSearchParams(query);
  const code = params.get('code') ?? '';
  const caFingerprint = (params.get('ca') ?? '').toUpperCase();
  if (!topicLevelSchema.safeParse(kioskId).success) throw invalid('no kiosk id');
  if (!enrolment.request.shape.data.shape.code.safeParse(code).success) throw invalid('no code of the form XXXX-XXXX-XXXX-XXXX');
  if (!/^[0-9A-F]{64}$/.test(caFingerprint)) throw invalid('no CA fingerprint of 64 hex digits');
  return { kioskId, code, caFingerprint };
}
