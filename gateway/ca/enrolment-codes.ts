/**
 * One-time enrolment codes: 16 characters from 32 that cannot be mistaken for one another (no 0/O, no 1/I), so
 * 80 bits from the system's CSPRNG, shown as XXXX-XXXX-XXXX-XXXX. Only the SHA-256 of a code is kept: a copy of
 * the registry enrols nothing.
 */
import { createHash, randomBytes } from 'node:crypto';

export const CODE_ALPHABET = '23456789ABCDEFGHJKLMNPQRSTUVWXYZ';

export function newEnrolmentCode(): string {
  // 10 random bytes are 80 bits: sixteen 5-bit groups, each one character of the 32.
  let bits = BigInt(`0x${randomBytes(10).toString('hex')}`);
  let chars = '';
  for (let i = 0; i < 16; i++) {
    chars = CODE_ALPHABET[Number(bits & 31n)]! + chars;
    bits >>= 5n;
  }
  return chars.match(/.{4}/g)!.join('-');
}

export function codeSha256(code: string): string {
  return createHash('sha256').update(code, 'ascii').digest('hex');
}
