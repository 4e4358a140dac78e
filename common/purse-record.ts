/**
 * A transaction record of the purse's cyclic file EF 0x18 (pboc-purse.md): 23 bytes, written by the card and read
 * by the kiosk. One layout for both sides, so the card simulator and the kiosk cannot disagree about it.
 */
import { fromHex, toHex, uintBE } from './bytes.ts';

export const PURSE_RECORD_BYTES = 23;

export interface PurseRecord {
  /** The online (load) or offline (purchase) counter the transaction used. */
  counter: number;
  overdraft: number;
  amount: number;
  /** 02 load, 06 purchase, 09 composite purchase. */
  type: number;
  terminalId: string;
  /** As hex text: YYYYMMDD / hhmmss when the host stamped BCD. */
  date: string;
  time: string;
}

export function encodePurseRecord(r: PurseRecord): Buffer {
  return Buffer.concat([
    uintBE(r.counter, 2), uintBE(r.overdraft, 3), uintBE(r.amount, 4), Buffer.from([r.type]),
    fromHex(r.terminalId, 6), fromHex(r.date, 4), fromHex(r.time, 3),
  ]);
}

/** `d` must be PURSE_RECORD_BYTES long; the caller reports anything else as the card's error. */
export function decodePurseRecord(d: Buffer): PurseRecord {
  return {
    counter: d.readUInt16BE(0), overdraft: d.readUIntBE(2, 3), amount: d.readUInt32BE(5), type: d[9]!,
    terminalId: toHex(d.subarray(10, 16)), date: toHex(d.subarray(16, 20)), time: toHex(d.subarray(20, 23)),
  };
}
