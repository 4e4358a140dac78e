/**
 * ISO 9564 format 0 PIN blocks. A clear PIN exists only in the PIN pad (and the simulators that stand in for the PIN pad
 * and the bank): the gateway only ever translates encrypted blocks from one key to another.
 */
import { timingSafeEqual } from 'node:crypto';
import { desDecrypt, desEncrypt, xor } from './des.ts';

/** The 12 rightmost digits of the card number, excluding the check digit. */
export function pan12FromPan(pan: string): string {
  if (!/^\d{13,19}$/.test(pan)) throw new RangeError('a card number has 13 to 19 digits');
  return pan.slice(-13, -1);
}

/** The clear format 0 block: (0 | length | PIN | F padding) XOR (0000 | pan12). For PIN pad and bank simulators only. */
export function pinBlockFormat0(pin: string, pan12: string): Buffer {
  if (!/^\d{4,12}$/.test(pin)) throw new RangeError('a PIN has 4 to 12 digits');
  if (!/^\d{12}$/.test(pan12)) throw new RangeError('pan12 must be 12 digits');
  const pinField = Buffer.from(`0${pin.length.toString(16)}${pin}`.padEnd(16, 'F'), 'hex');
  return xor(pinField, Buffer.from(`0000${pan12}`, 'hex'));
}

export function encryptPinBlock(key: Buffer, clearBlock: Buffer): Buffer {
  return desEncrypt(key, clearBlock);
}

/** From one key to another in one step, so the clear block never reaches the caller. */
export function translatePinBlock(fromKey: Buffer, toKey: Buffer, encryptedBlock: Buffer): Buffer {
  if (encryptedBlock.length !== 8) throw new RangeError('a PIN block is 8 bytes');
  const clear = desDecrypt(fromKey, encryptedBlock);
  try {
    return desEncrypt(toKey, clear);
  } finally {
    clear.fill(0);
  }
}

/** The bank's check of a PIN block under its PIK. */
export function verifyPinBlock(key: Buffer, encryptedBlock: Buffer, pan12: string, expectedPin: string): boolean {
  if (encryptedBlock.length !== 8) return false;
  const clear = desDecrypt(key, encryptedBlock);
  const expected = pinBlockFormat0(expectedPin, pan12);
  const same = timingSafeEqual(clear, expected);
  clear.fill(0);
  expected.fill(0);
  return same;
}
