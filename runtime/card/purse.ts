/**
 * The kiosk side of the PBOC electronic purse, over any CardChannel: select, read, verify the PIN, load (INITIALIZE /
 * CREDIT), transaction proof after a torn credit, records, and purchase. Status words become QuancunErrors; the kiosk
 * never holds a card key, so MAC1 goes to the gateway and MAC2 comes back from it.
 */
import iconv from 'iconv-lite';
import { requireStatusWord, type CardChannel } from '../../hal/card-reader/card-reader.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { fromBcd, fromHex, toHex, uintBE } from '../../common/bytes.ts';
import { decodePurseRecord, PURSE_RECORD_BYTES, type PurseRecord } from '../../common/purse-record.ts';
import type { CardProfile, TextField } from './card-profile.ts';
import { writeToCard, type CardWriteResult } from './card-write.ts';

export type { PurseRecord };

/** The instructions this module sends, by INS byte, as error messages name them. */
export const INS_NAME: Readonly<Record<number, string>> = {
  0xa4: 'SELECT', 0xb0: 'READ BINARY', 0xb2: 'READ RECORD', 0x20: 'VERIFY', 0x5c: 'GET BALANCE',
  0x50: 'INITIALIZE', 0x52: 'CREDIT FOR LOAD', 0x54: 'DEBIT FOR PURCHASE', 0x5a: 'GET TRANSACTION PROVE',
};

function apdu(header: number[], data?: Buffer, le?: number): Buffer {
  const parts: Buffer[] = [Buffer.from(header)];
  if (data) parts.push(Buffer.from([data.length]), data);
  if (le !== undefined) parts.push(Buffer.from([le]));
  return Buffer.concat(parts);
}

/** Status words the caller handles itself instead of getting an error. */
interface Expect { allow?: number[]; sw9401?: ErrorCode }

async function exchange(ch: CardChannel, command: Buffer, expect: Expect = {}): Promise<{ sw: number; data: Buffer }> {
  const response = requireStatusWord(await ch.transmit(command), command);
  const sw = response.readUInt16BE(response.length - 2);
  const data = response.subarray(0, response.length - 2);
  if (sw === 0x9000 || expect.allow?.includes(sw)) return { sw, data };
  const ins = command[1]!;
  const details = { sw: sw.toString(16).toUpperCase().padStart(4, '0'), command: INS_NAME[ins] ?? ins };
  if (sw === 0x63c0 || sw === 0x6983) throw new QuancunError('PIN_BLOCKED', undefined, { ...details, triesLeft: 0 });
  if ((sw & 0xfff0) === 0x63c0) throw new QuancunError('PIN_WRONG', undefined, { ...details, triesLeft: sw & 0x0f });
  if (sw === 0x9302) throw new QuancunError('CARD_MAC_INVALID', `card refused the MAC (${details.command})`, details);
  if (sw === 0x9401) throw new QuancunError(expect.sw9401 ?? 'CARD_ERROR', undefined, details);
  throw new QuancunError('CARD_ERROR', `card answered ${details.sw} to ${details.command}`, details);
}

async function command(ch: CardChannel, c: Buffer, responseLength: number, expect?: Expect): Promise<Buffer> {
  const { data } = await exchange(ch, c, expect);
  if (data.length !== responseLength) {
    throw new QuancunError('CARD_ERROR', `expected ${responseLength} response bytes, got ${data.length}`, { command: INS_NAME[c[1]!] });
  }
  return data;
}

export async function selectPurse(ch: CardChannel, profile: CardProfile): Promise<void> {
  const sel = profile.selection;
  if (sel.by === 'aid') {
    await exchange(ch, apdu([0x00, 0xa4, 0x04, 0x00], fromHex(sel.aid), 0x00));
    return;
  }
  for (const fid of sel.path) await exchange(ch, apdu([0x00, 0xa4, 0x00, 0x00], fromHex(fid, 2)));
}

export interface PublicData {
  issuerId: string;
  appType: number;
  appVersion: number;
  /** 20 hex digits, upper case. */
  asn: string;
  /** YYYYMMDD. */
  startDate: string;
  endDate: string;
}

/** EF 0x15: issuer id(8) | app type | app version | ASN(10) | start(4 BCD) | end(4 BCD) | reserved(2). */
export async function readPublicData(ch: CardChannel): Promise<PublicData> {
  const d = await command(ch, apdu([0x00, 0xb0, 0x95, 0x00], undefined, 0x1e), 30);
  try {
    return {
      issuerId: toHex(d.subarray(0, 8)), appType: d[8]!, appVersion: d[9]!, asn: toHex(d.subarray(10, 20)),
      startDate: fromBcd(d.subarray(20, 24)), endDate: fromBcd(d.subarray(24, 28)),
    };
  } catch (err) {
    throw new QuancunError('CARD_ERROR', 'public data dates are not BCD', {}, { cause: err });
  }
}

export interface HolderData { name: string; staffNo: string; idType: number | null }

function text(data: Buffer, field: TextField, encoding: 'utf8' | 'gbk' | 'ascii'): string {
  let raw = data.subarray(field.offset, field.offset + field.length);
  let end = raw.length;
  while (end > 0 && [0x00, 0x20, 0xff].includes(raw[end - 1]!)) end -= 1;
  raw = raw.subarray(0, end);
  return encoding === 'gbk' ? iconv.decode(raw, 'gbk') : raw.toString(encoding);
}

/** EF 0x16, decoded with the profile's layout. */
export async function readHolder(ch: CardChannel, profile: CardProfile): Promise<HolderData> {
  const layout = profile.holder;
  const d = await command(ch, apdu([0x00, 0xb0, 0x96, 0x00], undefined, layout.length), layout.length);
  return {
    name: text(d, layout.name, layout.name.encoding),
    staffNo: text(d, layout.staffNo, 'ascii'),
    idType: layout.idType ? d[layout.idType.offset]! : null,
  };
}

/** Fen. */
export async function getBalance(ch: CardChannel): Promise<number> {
  return (await command(ch, apdu([0x80, 0x5c, 0x00, 0x02], undefined, 0x04), 4)).readUInt32BE(0);
}

/** Throws PIN_WRONG (details.triesLeft) or PIN_BLOCKED. */
export async function verifyPin(ch: CardChannel, pin: string, profile: CardProfile): Promise<void> {
  if (!/^\d{4,12}$/.test(pin)) throw new QuancunError('PIN_WRONG', 'a PIN is 4 to 12 digits');
  const data = profile.pinEncoding === 'bcd' ? fromHex(pin.length % 2 ? `${pin}F` : pin) : Buffer.from(pin, 'ascii');
  await exchange(ch, apdu([0x00, 0x20, 0x00, 0x00], data));
}

export interface PurseInitRequest { keyIndex: number; amount: number; terminalId: Buffer }

const initData = (r: PurseInitRequest) => Buffer.concat([Buffer.from([r.keyIndex]), uintBE(r.amount, 4), r.terminalId]);

export interface LoadInit {
  oldBalance: number;
  /** The counter before this load: the session key, MAC1 and TAC use it; the card holds it + 1 after the credit. */
  onlineCounter: number;
  keyVersion: number;
  algId: number;
  random: Buffer;
  mac1: Buffer;
}

/** INITIALIZE FOR LOAD; a load over the purse limit is AMOUNT_OVER_PURSE_LIMIT. */
export async function initializeForLoad(ch: CardChannel, r: PurseInitRequest): Promise<LoadInit> {
  const d = await command(ch, apdu([0x80, 0x50, 0x00, 0x02], initData(r), 0x10), 16, { sw9401: 'AMOUNT_OVER_PURSE_LIMIT' });
  return {
    oldBalance: d.readUInt32BE(0), onlineCounter: d.readUInt16BE(4), keyVersion: d[6]!, algId: d[7]!,
    random: Buffer.from(d.subarray(8, 12)), mac1: Buffer.from(d.subarray(12, 16)),
  };
}

/** CREDIT FOR LOAD: applied with the TAC, refused, or undecided (card-write.ts decides; never throws). */
export function creditForLoad(ch: CardChannel, r: { date: Buffer; time: Buffer; mac2: Buffer }): Promise<CardWriteResult<Buffer>> {
  return writeToCard(ch, 'credit-for-load', apdu([0x80, 0x52, 0x00, 0x00], Buffer.concat([r.date, r.time, r.mac2]), 0x04), 4, (tac) => tac);
}

/**
 * The MAC and TAC of the card's last transaction of `type` (02 load, 06 purchase), identified by the counter it left
 * behind (the INITIALIZE counter + 1). Null when the card has no such transaction (9406): it was not applied.
 */
export async function getTransactionProve(ch: CardChannel, r: { type: number; counter: number }): Promise<{ mac: Buffer; tac: Buffer } | null> {
  const { sw, data } = await exchange(ch, apdu([0x80, 0x5a, 0x00, r.type], uintBE(r.counter, 2), 0x08), { allow: [0x9406] });
  if (sw === 0x9406) return null;
  if (data.length !== 8) throw new QuancunError('CARD_ERROR', `expected 8 proof bytes, got ${data.length}`);
  return { mac: Buffer.from(data.subarray(0, 4)), tac: Buffer.from(data.subarray(4, 8)) };
}

/** Up to `count` records of EF 0x18, newest first; fewer when the card holds fewer (6A83). */
export async function readRecords(ch: CardChannel, count: number): Promise<PurseRecord[]> {
  const records: PurseRecord[] = [];
  for (let n = 1; n <= count; n++) {
    const { sw, data: d } = await exchange(ch, apdu([0x00, 0xb2, n, 0xc4], undefined, 0x17), { allow: [0x6a83] });
    if (sw === 0x6a83) break;
    if (d.length !== PURSE_RECORD_BYTES) throw new QuancunError('CARD_ERROR', `record ${n} is ${d.length} bytes, expected ${PURSE_RECORD_BYTES}`);
    records.push(decodePurseRecord(d));
  }
  return records;
}

export interface PurchaseInit {
  balance: number;
  offlineCounter: number;
  overdraftLimit: number;
  keyVersion: number;
  algId: number;
  random: Buffer;
}

/** INITIALIZE FOR PURCHASE; a balance below the amount is CARD_BALANCE_INSUFFICIENT. */
export async function initializeForPurchase(ch: CardChannel, r: PurseInitRequest): Promise<PurchaseInit> {
  const d = await command(ch, apdu([0x80, 0x50, 0x01, 0x02], initData(r), 0x0f), 15, { sw9401: 'CARD_BALANCE_INSUFFICIENT' });
  return {
    balance: d.readUInt32BE(0), offlineCounter: d.readUInt16BE(4), overdraftLimit: d.readUIntBE(6, 3),
    keyVersion: d[9]!, algId: d[10]!, random: Buffer.from(d.subarray(11, 15)),
  };
}

/** DEBIT FOR PURCHASE with the host's MAC1: applied with the card's TAC and MAC2, refused, or undecided (card-write.ts). */
export function debitForPurchase(
  ch: CardChannel, r: { terminalTxSeq: number; date: Buffer; time: Buffer; mac1: Buffer },
): Promise<CardWriteResult<{ tac: Buffer; mac2: Buffer }>> {
  const data = Buffer.concat([uintBE(r.terminalTxSeq, 4), r.date, r.time, r.mac1]);
  return writeToCard(ch, 'debit-for-purchase', apdu([0x80, 0x54, 0x01, 0x00], data, 0x08), 8, (d) => ({
    tac: d.subarray(0, 4), mac2: d.subarray(4, 8),
  }));
}
