/**
 * ISO 8583 message body codec (MTI, bitmap, fields), driven by a bank profile. Framing (length, TPDU, header) is
 * framing.ts. The same codec serves the gateway's bank link and the bank host simulator.
 */
import { QuancunError } from '../../../common/errors.ts';
import { decodeField, encodeField, type FieldSpec, type FieldValue } from './field-format.ts';

export interface IsoMessage {
  mti: string;
  fields: Record<number, FieldValue>;
}

export interface CodecSpec {
  mti: 'bcd' | 'ascii';
  bitmap: 'binary' | 'hex';
  fields: ReadonlyMap<number, FieldSpec>;
}

export interface Codec {
  encode(msg: IsoMessage): Buffer;
  decode(buf: Buffer): IsoMessage;
}

const protocol = (reason: string, details: Record<string, unknown> = {}) => new QuancunError('BANK_PROTOCOL', reason, details);

export function createCodec(spec: CodecSpec): Codec {
  const mtiBytes = spec.mti === 'bcd' ? 2 : 4;
  const bitmapBytes = spec.bitmap === 'binary' ? 8 : 16;

  const fieldSpec = (no: number): FieldSpec => {
    const f = spec.fields.get(no);
    if (!f) throw protocol(`field ${no} is not in the bank profile`, { field: no });
    return f;
  };

  const encodeBitmap = (bits: Buffer) => (spec.bitmap === 'binary' ? bits : Buffer.from(bits.toString('hex').toUpperCase(), 'ascii'));

  const readBitmap = (buf: Buffer, offset: number): Buffer => {
    const raw = buf.subarray(offset, offset + bitmapBytes);
    if (raw.length < bitmapBytes) throw protocol('message ends inside the bitmap');
    if (spec.bitmap === 'binary') return raw;
    const text = raw.toString('ascii');
    if (!/^[0-9A-Fa-f]+$/.test(text)) throw protocol('bitmap is not hex');
    return Buffer.from(text, 'hex');
  };

  return {
    encode(msg) {
      if (!/^\d{4}$/.test(msg.mti)) throw protocol(`MTI must be 4 digits, got "${msg.mti}"`);
      const numbers = Object.keys(msg.fields).map(Number).sort((a, b) => a - b);
      const bits = Buffer.alloc(numbers.some((n) => n > 64) ? 16 : 8);
      if (bits.length === 16) bits[0]! |= 0x80;
      const parts: Buffer[] = [];
      for (const no of numbers) {
        if (!Number.isInteger(no) || no < 2 || no > 128) throw protocol(`field number ${no} is out of range`);
        bits[(no - 1) >> 3]! |= 0x80 >> ((no - 1) & 7);
        parts.push(encodeField(fieldSpec(no), msg.fields[no]!));
      }
      const mti = spec.mti === 'bcd' ? Buffer.from(msg.mti, 'hex') : Buffer.from(msg.mti, 'ascii');
      const bitmaps = bits.length === 16 ? [encodeBitmap(bits.subarray(0, 8)), encodeBitmap(bits.subarray(8))] : [encodeBitmap(bits)];
      return Buffer.concat([mti, ...bitmaps, ...parts]);
    },

    decode(buf) {
      if (buf.length < mtiBytes) throw protocol('message shorter than its MTI');
      const mtiRaw = buf.subarray(0, mtiBytes);
      const mti = spec.mti === 'bcd' ? mtiRaw.toString('hex') : mtiRaw.toString('ascii');
      if (!/^\d{4}$/.test(mti)) throw protocol('MTI is not 4 digits');
      let offset = mtiBytes;
      let bits = readBitmap(buf, offset);
      offset += bitmapBytes;
      if (bits[0]! & 0x80) {
        bits = Buffer.concat([bits, readBitmap(buf, offset)]);
        offset += bitmapBytes;
      }
      const fields: Record<number, FieldValue> = {};
      for (let no = 2; no <= bits.length * 8; no++) {
        if (!(bits[(no - 1) >> 3]! & (0x80 >> ((no - 1) & 7)))) continue;
        const { value, end } = decodeField(fieldSpec(no), buf, offset);
        fields[no] = value;
        offset = end;
      }
      if (offset !== buf.length) throw protocol(`${buf.length - offset} bytes after the last field`, { mti });
      return { mti, fields };
    },
  };
}
