/**
 * Salted scrypt hashes of what people type (the technician's PIN, console passwords): `scrypt$<salt hex>$<hash hex>`,
 * Node's default cost (N=16384, r=8, p=1), compared in constant time.
 */
import { randomBytes, scryptSync, timingSafeEqual } from 'node:crypto';

export const SECRET_HASH = /^scrypt\$([0-9a-f]{32})\$([0-9a-f]{64})$/;

export function hashSecret(secret: string, salt: Buffer = randomBytes(16)): string {
  return `scrypt$${salt.toString('hex')}$${scryptSync(secret, salt, 32).toString('hex')}`;
}

export function secretMatches(secret: string, stored: string): boolean {
  const m = SECRET_HASH.exec(stored);
  if (!m) return false;
  return timingSafeEqual(scryptSync(secret, Buffer.from(m[1]!, 'hex'), 32), Buffer.from(m[2]!, 'hex'));
}
