/**
 * Byte helpers for card and host messages: hex with length checks, big-endian unsigned fields, BCD digits and the
 * BCD date (YYYYMMDD, 4 bytes) and time (hhmmss, 3 bytes) that PBOC messages carry.
 */

/** Parses hex (whitespace ignored); throws RangeError on odd length, non-hex digits or a length other than `bytes`. */
export function fromHex(text: string, bytes?: number): Buffer {
  const clean = text.replace(/\s/g, '');
  if (!/^([0-9A-Fa-f]{2})*$/.test(clean)) throw new RangeError(`not hex: ${JSON.stringify(text)}`);
  const out = Buffer.from(clean, 'hex');
  if (bytes !== undefined && out.length !== bytes) throw new RangeError(`expected ${bytes} bytes of hex, got ${out.length}`);
  return out;
}

export const toHex = (data: Buffer): string => data.toString('hex').toUpperCase();

/** Unsigned big-endian field of `bytes` bytes (1..6). */
export function uintBE(value: number, bytes: number): Buffer {
  if (!Number.isSafeInteger(value) || value < 0 || value >= 2 ** (8 * bytes)) {
    throw new RangeError(`${value} does not fit in ${bytes} unsigned bytes`);
  }
  const out = Buffer.alloc(bytes);
  out.writeUIntBE(value, 0, bytes);
  return out;
}

/** Packs decimal digits two per byte; an odd count is not allowed (pad the text first). */
export function toBcd(digits: string): Buffer {
  if (!/^(\d\d)*$/.test(digits)) throw new RangeError(`BCD needs an even number of decimal digits: ${JSON.stringify(digits)}`);
  return Buffer.from(digits, 'hex');
}

/** Unpacks BCD; throws RangeError when a nibble is not a decimal digit. */
export function fromBcd(data: Buffer): string {
  const digits = data.toString('hex');
  if (!/^\d*$/.test(digits)) throw new RangeError(`not BCD: ${digits}`);
  return digits;
}

/** 4-byte BCD YYYYMMDD (a campus date: common/campus-time.ts's `dateDigits`). */
export function bcdDate(text: string): Buffer {
  if (!/^\d{8}$/.test(text)) throw new RangeError(`date must be YYYYMMDD: ${JSON.stringify(text)}`);
  return toBcd(text);
}

/** 3-byte BCD hhmmss (campus-time.ts's `timeDigits`). */
export function bcdTime(text: string): Buffer {
  if (!/^\d{6}$/.test(text)) throw new RangeError(`time must be hhmmss: ${JSON.stringify(text)}`);
  return toBcd(text);
}
