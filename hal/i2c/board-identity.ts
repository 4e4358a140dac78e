/**
 * The board identity written to the EEPROM at provisioning: kiosk id, serial number, hardware revision and when.
 * Layout (50 bytes from offset 0): "QC", version 1, 0, kiosk id (16 ASCII, NUL padded), serial (16), hardware
 * revision (8), provisioned-at (u32 BE, Unix seconds), CRC-16/CCITT-FALSE of bytes 0..47 (u16 BE).
 * A bad magic or CRC is EEPROM_CHECKSUM: the kiosk must not run under an identity it cannot trust.
 */
import { QuancunError } from '../../common/errors.ts';
import type { Eeprom24c02 } from './eeprom-24c02.ts';

export interface BoardIdentity {
  kioskId: string;
  serial: string;
  hardwareRevision: string;
  provisionedAt: Date;
}

export const IDENTITY_LENGTH = 50;

/** CRC-16/CCITT-FALSE: poly 0x1021, init 0xFFFF (check value for "123456789" is 0x29B1). */
export function crc16(data: Buffer): number {
  let crc = 0xffff;
  for (const b of data) {
    crc ^= b << 8;
    for (let i = 0; i < 8; i++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}

function field(buf: Buffer, offset: number, size: number, value: string, name: string): void {
  if (!/^[\x20-\x7e]*$/.test(value) || value.length > size) throw new RangeError(`${name} must be printable ASCII of at most ${size} characters`);
  buf.write(value, offset, 'ascii');
}

export function encodeIdentity(identity: BoardIdentity): Buffer {
  const buf = Buffer.alloc(IDENTITY_LENGTH);
  buf.write('QC', 0, 'ascii');
  buf[2] = 1;
  field(buf, 4, 16, identity.kioskId, 'kioskId');
  field(buf, 20, 16, identity.serial, 'serial');
  field(buf, 36, 8, identity.hardwareRevision, 'hardwareRevision');
  buf.writeUInt32BE(Math.floor(identity.provisionedAt.getTime() / 1000), 44);
  buf.writeUInt16BE(crc16(buf.subarray(0, 48)), 48);
  return buf;
}

export function decodeIdentity(buf: Buffer): BoardIdentity {
  if (buf.length < IDENTITY_LENGTH || buf.toString('ascii', 0, 2) !== 'QC' || buf[2] !== 1) {
    throw new QuancunError('EEPROM_CHECKSUM', 'no board identity in the EEPROM (blank or unknown layout)');
  }
  if (crc16(buf.subarray(0, 48)) !== buf.readUInt16BE(48)) throw new QuancunError('EEPROM_CHECKSUM', 'board identity CRC mismatch');
  const text = (offset: number, size: number) => buf.toString('ascii', offset, offset + size).replace(/\0+$/, '');
  return { kioskId: text(4, 16), serial: text(20, 16), hardwareRevision: text(36, 8), provisionedAt: new Date(buf.readUInt32BE(44) * 1000) };
}

export async function writeBoardIdentity(eeprom: Eeprom24c02, identity: BoardIdentity): Promise<void> {
  await eeprom.write(0, encodeIdentity(identity));
}

export async function readBoardIdentity(eeprom: Eeprom24c02): Promise<BoardIdentity> {
  return decodeIdentity(await eeprom.read(0, IDENTITY_LENGTH));
}
