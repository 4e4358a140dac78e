/**
 * A PIN pad's transport key, diversified from the campus pad transport master key (TMK) by the pad's serial: the
 * pad's factory loads it into the pad, the gateway derives it again to send the pad its PIN key encrypted under it.
 * 16-byte 2-key 3DES key: left half 3DES-ECB(TMK, bytes 0..7 of SHA-256(serial)), right half 3DES-ECB(TMK, bytes
 * 8..15). Kept simple so a key-loading station can compute it with openssl alone.
 */
import { createHash } from 'node:crypto';
import { desEncrypt } from './des.ts';

export function padTransportKey(tmk: Buffer, padSerial: string): Buffer {
  const digest = createHash('sha256').update(padSerial, 'ascii').digest();
  return desEncrypt(tmk, digest.subarray(0, 16));
}
