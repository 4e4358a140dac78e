/**
 * DES primitives. OpenSSL 3 moved single DES to the legacy provider, so single DES is run as 3DES-EDE with K|K|K,
 * and two-key 3DES as K1|K2|K1; the results are identical by construction of EDE.
 */
import { createCipheriv, createDecipheriv } from 'node:crypto';

function ede3Key(key: Buffer): Buffer {
  if (key.length === 8) return Buffer.concat([key, key, key]);
  if (key.length === 16) return Buffer.concat([key, key.subarray(0, 8)]);
  if (key.length === 24) return key;
  throw new RangeError(`DES key must be 8, 16 or 24 bytes, got ${key.length}`);
}

function run(decrypt: boolean, key: Buffer, data: Buffer): Buffer {
  if (data.length % 8 !== 0) throw new RangeError(`DES data must be a multiple of 8 bytes, got ${data.length}`);
  const cipher = decrypt
    ? createDecipheriv('des-ede3-ecb', ede3Key(key), null)
    : createCipheriv('des-ede3-ecb', ede3Key(key), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(data), cipher.final()]);
}

/** ECB encryption; the key length picks single DES (8), 2-key 3DES (16) or 3-key 3DES (24). */
export const desEncrypt = (key: Buffer, data: Buffer): Buffer => run(false, key, data);
export const desDecrypt = (key: Buffer, data: Buffer): Buffer => run(true, key, data);

export function xor(a: Buffer, b: Buffer): Buffer {
  const out = Buffer.alloc(Math.min(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = a[i]! ^ b[i]!;
  return out;
}
