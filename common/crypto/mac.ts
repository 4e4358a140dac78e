/**
 * Bank message MACs. Which one a bank uses is a profile setting; both pad with 00 to a multiple of 8 (ISO 9797-1 method 1).
 */
import { desDecrypt, desEncrypt, xor } from './des.ts';

function padZeros(data: Buffer): Buffer {
  const rem = data.length % 8;
  return rem === 0 ? data : Buffer.concat([data, Buffer.alloc(8 - rem)]);
}

const hexAscii = (b: Buffer) => Buffer.from(b.toString('hex').toUpperCase(), 'ascii');

/** UnionPay POS "ECB" MAC: XOR of all blocks, hex-expanded, two encryptions; the MAC is 8 ASCII hex characters. */
export function unionpayEcbMac(mak: Buffer, data: Buffer): Buffer {
  const padded = padZeros(data);
  let block: Buffer = Buffer.alloc(8);
  for (let i = 0; i < padded.length; i += 8) block = xor(block, padded.subarray(i, i + 8));
  const expanded = hexAscii(block);
  const first = desEncrypt(mak, xor(desEncrypt(mak, expanded.subarray(0, 8)), expanded.subarray(8, 16)));
  return hexAscii(first).subarray(0, 8);
}

/** ANSI X9.19 retail MAC: single-DES CBC under the left half, the last block decrypted with the right half and re-encrypted. */
export function x919Mac(mak16: Buffer, data: Buffer): Buffer {
  if (mak16.length !== 16) throw new RangeError(`X9.19 needs a 16-byte key, got ${mak16.length}`);
  const left = mak16.subarray(0, 8);
  const right = mak16.subarray(8, 16);
  const padded = padZeros(data);
  let chain: Buffer = Buffer.alloc(8);
  for (let i = 0; i < padded.length; i += 8) chain = desEncrypt(left, xor(chain, padded.subarray(i, i + 8)));
  return desEncrypt(left, desDecrypt(right, chain));
}
