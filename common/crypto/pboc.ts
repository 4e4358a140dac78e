/**
 * PBOC electronic-purse cryptography (JR/T 0025 style), one implementation for the issuer, the gateway key store and
 * the virtual card. Amounts and balances are fen, 4 bytes big-endian; counters 2 bytes; terminal ids 6 bytes;
 * dates 4-byte BCD YYYYMMDD, times 3-byte BCD hhmmss.
 */
import { desEncrypt, xor } from './des.ts';
import { uintBE } from '../bytes.ts';

export const TXN_TYPE = { load: 0x02, purchase: 0x06, compositePurchase: 0x09 } as const;

function expectLength(name: string, data: Buffer, ...lengths: number[]): void {
  if (!lengths.includes(data.length)) throw new RangeError(`${name} must be ${lengths.join(' or ')} bytes, got ${data.length}`);
}

/** DK = 3DES(MK, f) || 3DES(MK, NOT f), f = the rightmost 8 bytes of the diversification data (the ASN). */
export function diversifyKey(masterKey: Buffer, asn: Buffer): Buffer {
  expectLength('master key', masterKey, 16);
  if (asn.length < 8) throw new RangeError(`diversification data must be at least 8 bytes, got ${asn.length}`);
  const f = asn.subarray(asn.length - 8);
  return Buffer.concat([desEncrypt(masterKey, f), desEncrypt(masterKey, xor(f, Buffer.alloc(8, 0xff)))]);
}

/**
 * PBOC MAC: pad with 80 00.. to a multiple of 8 (a whole block when aligned), CBC from IV 0, leftmost 4 bytes.
 * 8-byte key: single DES throughout. 16-byte key: single DES under the left half, the last block 3DES (ISO 9797-1
 * algorithm 3), as PBOC does with double-length keys.
 */
export function pbocMac(key: Buffer, data: Buffer): Buffer {
  expectLength('MAC key', key, 8, 16);
  const padded = Buffer.concat([data, Buffer.from([0x80]), Buffer.alloc(7 - (data.length % 8))]);
  const single = key.subarray(0, 8);
  let chain: Buffer = Buffer.alloc(8);
  for (let i = 0; i < padded.length; i += 8) {
    const last = i + 8 === padded.length;
    chain = desEncrypt(last ? key : single, xor(chain, padded.subarray(i, i + 8)));
  }
  return chain.subarray(0, 4);
}

/** SESLK = 3DES(DLK, random(4) || onlineCounter(2) || 80 00). */
export function loadSessionKey(dlk: Buffer, random: Buffer, onlineCounter: number): Buffer {
  expectLength('DLK', dlk, 16);
  expectLength('random', random, 4);
  return desEncrypt(dlk, Buffer.concat([random, uintBE(onlineCounter, 2), Buffer.from([0x80, 0x00])]));
}

/** SESPK = 3DES(DPK, random(4) || offlineCounter(2) || low 2 bytes of the terminal transaction sequence). */
export function purchaseSessionKey(dpk: Buffer, random: Buffer, offlineCounter: number, terminalTxSeq: number): Buffer {
  expectLength('DPK', dpk, 16);
  expectLength('random', random, 4);
  return desEncrypt(dpk, Buffer.concat([random, uintBE(offlineCounter, 2), uintBE(terminalTxSeq, 4).subarray(2)]));
}

/** The TAC key: left half of DTK XOR right half, used as a single-DES key. */
const tacKey = (dtk: Buffer): Buffer => {
  expectLength('DTK', dtk, 16);
  return xor(dtk.subarray(0, 8), dtk.subarray(8, 16));
};

function stamp(terminalId: Buffer, date: Buffer, time: Buffer): void {
  expectLength('terminal id', terminalId, 6);
  expectLength('date', date, 4);
  expectLength('time', time, 3);
}

export interface LoadMac1Data { oldBalance: number; amount: number; terminalId: Buffer }
export interface LoadMac2Data { amount: number; terminalId: Buffer; date: Buffer; time: Buffer }
export interface LoadTacData extends LoadMac2Data { newBalance: number; counterBefore: number; type: number }

/** Card -> host: MAC1 over oldBalance | amount | 02 | terminalId. */
export function loadMac1(d: LoadMac1Data, sessionKey: Buffer): Buffer {
  expectLength('terminal id', d.terminalId, 6);
  return pbocMac(sessionKey, Buffer.concat([uintBE(d.oldBalance, 4), uintBE(d.amount, 4), Buffer.from([TXN_TYPE.load]), d.terminalId]));
}

/** Host -> card: MAC2 over amount | 02 | terminalId | date | time. */
export function loadMac2(d: LoadMac2Data, sessionKey: Buffer): Buffer {
  stamp(d.terminalId, d.date, d.time);
  return pbocMac(sessionKey, Buffer.concat([uintBE(d.amount, 4), Buffer.from([TXN_TYPE.load]), d.terminalId, d.date, d.time]));
}

/** TAC over newBalance | online counter before the increment | amount | type | terminalId | date | time. */
export function loadTac(dtk: Buffer, d: LoadTacData): Buffer {
  stamp(d.terminalId, d.date, d.time);
  return pbocMac(tacKey(dtk), Buffer.concat([
    uintBE(d.newBalance, 4), uintBE(d.counterBefore, 2), uintBE(d.amount, 4), Buffer.from([d.type]), d.terminalId, d.date, d.time,
  ]));
}

export interface PurchaseMac1Data { amount: number; terminalId: Buffer; date: Buffer; time: Buffer }
export interface PurchaseTacData extends PurchaseMac1Data { type: number; terminalTxSeq: number }

/** Host (PSAM / key store) -> card: MAC1 over amount | 06 | terminalId | date | time. */
export function purchaseMac1(d: PurchaseMac1Data, sessionKey: Buffer): Buffer {
  stamp(d.terminalId, d.date, d.time);
  return pbocMac(sessionKey, Buffer.concat([uintBE(d.amount, 4), Buffer.from([TXN_TYPE.purchase]), d.terminalId, d.date, d.time]));
}

/** Card -> host: MAC2 over amount. */
export function purchaseMac2(d: { amount: number }, sessionKey: Buffer): Buffer {
  return pbocMac(sessionKey, uintBE(d.amount, 4));
}

/** TAC over amount | type | terminalId | terminal transaction sequence(4) | date | time (JR/T 0025 purchase TAC). */
export function purchaseTac(dtk: Buffer, d: PurchaseTacData): Buffer {
  stamp(d.terminalId, d.date, d.time);
  return pbocMac(tacKey(dtk), Buffer.concat([
    uintBE(d.amount, 4), Buffer.from([d.type]), d.terminalId, uintBE(d.terminalTxSeq, 4), d.date, d.time,
  ]));
}
