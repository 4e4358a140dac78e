/**
 * One ISO 8583 field on the wire, as a bank profile declares it: format n/an/ans/b/z, fixed or LL/LLL variable length,
 * numeric content in BCD or ASCII. Lengths count digits (n, z), characters (an, ans) or bytes (b).
 * Errors name the field and the lengths, never the value (it may be a card number).
 */
import { QuancunError } from '../../../common/errors.ts';

export type FieldFormat = 'n' | 'an' | 'ans' | 'b' | 'z';
export type LengthType = 'fixed' | 'LL' | 'LLL';
export type FieldValue = string | Buffer;

export interface Subfield {
  name: string;
  offset: number;
  length: number;
}

export interface FieldSpec {
  no: number;
  /** What the field is, for people (the console's decoded messages); not used on the wire. */
  name?: string;
  format: FieldFormat;
  /** Exact length when fixed, maximum when variable. */
  length: number;
  lengthType: LengthType;
  /** How n and z content is carried; an and ans are ASCII, b is raw. */
  encoding: 'bcd' | 'ascii';
  /** How a variable-length prefix is carried. */
  lengthEncoding: 'bcd' | 'ascii' | 'binary';
  /** Where the filler nibble of an odd number of BCD digits goes. */
  pad: 'left' | 'right';
  /** Named parts of the content at fixed offsets (e.g. UnionPay field 60.1, 60.2, 60.3). */
  subfields?: Subfield[];
}

const CONTENT: Record<Exclude<FieldFormat, 'b'>, RegExp> = {
  n: /^\d*$/,
  z: /^[\d=]*$/,
  an: /^[A-Za-z0-9 ]*$/,
  ans: /^[\x20-\x7e]*$/,
};

const protocol = (spec: FieldSpec, reason: string) =>
  new QuancunError('BANK_PROTOCOL', `field ${spec.no}: ${reason}`, { field: spec.no });

const PREFIX_DIGITS: Record<Exclude<LengthType, 'fixed'>, number> = { LL: 2, LLL: 3 };

function prefixBytes(spec: FieldSpec): number {
  if (spec.lengthType === 'fixed') return 0;
  const digits = PREFIX_DIGITS[spec.lengthType];
  return spec.lengthEncoding === 'ascii' ? digits : Math.ceil(digits / 2);
}

function encodePrefix(spec: FieldSpec, units: number): Buffer {
  if (spec.lengthType === 'fixed') return Buffer.alloc(0);
  const size = prefixBytes(spec);
  switch (spec.lengthEncoding) {
    case 'ascii':
      return Buffer.from(String(units).padStart(size, '0'), 'ascii');
    case 'bcd':
      return Buffer.from(String(units).padStart(size * 2, '0'), 'hex');
    case 'binary':
      return Buffer.from(units.toString(16).padStart(size * 2, '0'), 'hex');
  }
}

function decodePrefix(spec: FieldSpec, raw: Buffer): number {
  const text = spec.lengthEncoding === 'ascii' ? raw.toString('ascii') : raw.toString('hex');
  if (spec.lengthEncoding === 'binary') return parseInt(text, 16);
  if (!/^\d+$/.test(text)) throw protocol(spec, 'length prefix is not decimal');
  return Number(text);
}

/** BCD digits: `=` (track 2 separator) travels as nibble D; an odd count gets a 0 filler nibble. */
function toBcd(spec: FieldSpec, digits: string): Buffer {
  const nibbles = digits.replace(/=/g, 'D');
  const even = nibbles.length % 2 === 0 ? nibbles : spec.pad === 'left' ? `0${nibbles}` : `${nibbles}0`;
  return Buffer.from(even, 'hex');
}

function fromBcd(spec: FieldSpec, raw: Buffer, count: number): string {
  const hex = raw.toString('hex').toUpperCase();
  const nibbles = hex.length === count ? hex : spec.pad === 'left' ? hex.slice(1) : hex.slice(0, count);
  const digits = spec.format === 'z' ? nibbles.replace(/D/g, '=') : nibbles;
  if (!CONTENT[spec.format as 'n' | 'z'].test(digits)) throw protocol(spec, 'BCD content is not numeric');
  return digits;
}

function contentBytes(spec: FieldSpec, units: number): number {
  if (spec.format === 'b' || spec.format === 'an' || spec.format === 'ans') return units;
  return spec.encoding === 'bcd' ? Math.ceil(units / 2) : units;
}

export function encodeField(spec: FieldSpec, value: FieldValue): Buffer {
  let units: number;
  let content: Buffer;
  if (spec.format === 'b') {
    if (!Buffer.isBuffer(value)) throw protocol(spec, 'binary field needs bytes');
    units = value.length;
    content = value;
  } else {
    if (typeof value !== 'string') throw protocol(spec, `format ${spec.format} needs a string`);
    if (!CONTENT[spec.format].test(value)) throw protocol(spec, `content does not match format ${spec.format}`);
    units = value.length;
    const numeric = spec.format === 'n' || spec.format === 'z';
    content = numeric && spec.encoding === 'bcd' ? toBcd(spec, value) : Buffer.from(value, 'ascii');
  }
  if (spec.lengthType === 'fixed' ? units !== spec.length : units > spec.length) {
    throw protocol(spec, `length ${units}, profile says ${spec.lengthType === 'fixed' ? '' : 'at most '}${spec.length}`);
  }
  return Buffer.concat([encodePrefix(spec, units), content]);
}

/** Decodes the field starting at `offset`; `end` is where the next field starts. */
export function decodeField(spec: FieldSpec, buf: Buffer, offset: number): { value: FieldValue; end: number } {
  const prefixEnd = offset + prefixBytes(spec);
  if (prefixEnd > buf.length) throw protocol(spec, 'message ends inside the length prefix');
  const units = spec.lengthType === 'fixed' ? spec.length : decodePrefix(spec, buf.subarray(offset, prefixEnd));
  if (units > spec.length) throw protocol(spec, `length ${units} exceeds the profile's ${spec.length}`);
  const end = prefixEnd + contentBytes(spec, units);
  if (end > buf.length) throw protocol(spec, 'message ends inside the field');
  const raw = buf.subarray(prefixEnd, end);
  if (spec.format === 'b') return { value: Buffer.from(raw), end };
  if ((spec.format === 'n' || spec.format === 'z') && spec.encoding === 'bcd') return { value: fromBcd(spec, raw, units), end };
  const text = raw.toString('latin1');
  if (!CONTENT[spec.format].test(text)) throw protocol(spec, `content does not match format ${spec.format}`);
  return { value: text, end };
}
