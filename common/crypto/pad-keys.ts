/**
 * A PIN pad's transport key: diversified from the campus pad transport master key by the pad's serial, the way card
 * and kiosk PIN keys are diversified (PBOC, common/crypto/pboc.ts). The pad's factory loads it; at enrolment the
 * gateway sends the pad its working PIN key encrypted under it, so the clear key never crosses the kiosk's serial line.
 * A serial is up to 16 printable characters, more than the 8 bytes PBOC diversifies by: its SHA-256 is taken first,
 * so serials that differ anywhere give different keys.
 */
import { createHash } from 'node:crypto';
import { diversifyKey } from './pboc.ts';

export function padTransportKey(transportMasterKey: Buffer, padSerial: string): Buffer {
  if (!/^[\x21-\x7e]{1,16}$/.test(padSerial)) throw new RangeError('a PIN pad serial is 1 to 16 printable ASCII characters');
  return diversifyKey(transportMasterKey, createHash('sha256').update(padSerial, 'ascii').digest().subarray(0, 8));
}
