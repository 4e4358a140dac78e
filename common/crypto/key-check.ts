/**
 * Key check values: the first bytes of the key encrypting a block of zeros. They prove two parties hold the same key
 * without revealing it (the bank sends one after each working key it delivers).
 */
import { desEncrypt } from './des.ts';

export function keyCheckValue(key: Buffer, length = 4): Buffer {
  return desEncrypt(key, Buffer.alloc(8)).subarray(0, length);
}
