/**
 * A PBOC-style campus CPU card (electronic purse) with the real cryptography, as a CardDevice. It holds only its own
 * diversified keys (DLK, DPK, DTK), never the issuer's master keys; everything that persists is a plain JSON state.
 *
 * Layout (see docs in the reference):
 * - ADF selected by AID A0 00 00 00 03 86 98 07 01, or by FIDs 3F01 / 1001 / DF03 in turn (3F00 goes back to the MF).
 * - EF 0x15 public data, 30 bytes: issuer id(8) | app type(1) | app version(1) | ASN(10) | start(4) | end(4) | 00 00.
 * - EF 0x16 holder data, 41 bytes (this project's campus layout; the reference leaves it open):
 *   name(20, UTF-8, 00-padded) | staff/student number(20, ASCII, 00-padded) | id type(1).
 * - EF 0x18 cyclic records, at most 10, 23 bytes, record 1 = newest; each holds the counter the transaction used.
 * - GET TRANSACTION PROVE takes the counter as it stands after the transaction (INITIALIZE's counter + 1), the
 *   number a kiosk knows after a torn credit; the card keeps the proof of its last load and of its last purchase.
 * A CREDIT or DEBIT is only accepted as the very next command after its INITIALIZE; any other command, reset() or a
 * wrong MAC ends that session. The card PIN is not a precondition for a load: the bank PIN authorises the debit.
 *
 * ATR 3B 87 80 01 "QUANCUN" 55: the PC/SC Part 3 ATR a reader builds for an ISO 14443-4 card (TD1 80, TD2 01 = T=1,
 * the ATS historical bytes, TCK). Historical bytes are this simulator's own.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import type { CardDevice } from './card-device.ts';
import { encodePurseRecord, type PurseRecord } from '../../common/purse-record.ts';
import { fromHex, toHex, uintBE } from '../../common/bytes.ts';
import {
  TXN_TYPE, loadMac1, loadMac2, loadSessionKey, loadTac, purchaseMac1, purchaseMac2, purchaseSessionKey, purchaseTac,
} from '../../common/crypto/pboc.ts';

export const VIRTUAL_CARD_ATR = fromHex('3B 87 80 01 51 55 41 4E 43 55 4E 55');
export const PURSE_AID = fromHex('A00000000386980701');
const FID_PATH = ['3F01', '1001', 'DF03'];
const MAX_RECORDS = 10;
/** Field sizes of EF 0x16 in bytes. */
export const HOLDER_FIELD_BYTES = { name: 20, staffNo: 20 } as const;

export interface TransactionProof {
  type: number;
  /** The counter after the transaction. */
  counter: number;
  mac: string;
  tac: string;
}

export interface VirtualCardState {
  /** Application serial number, 10 bytes as 20 hex digits. */
  asn: string;
  /** 8 bytes hex. */
  issuerId: string;
  appType: number;
  appVersion: number;
  /** YYYYMMDD. */
  startDate: string;
  endDate: string;
  holder: { name: string; staffNo: string; idType: number };
  /** Diversified card keys, 16 bytes hex each, and the index/version/algorithm the card reports for them. */
  keys: { dlk: string; dpk: string; dtk: string; index: number; version: number; algId: number };
  /** Fen. */
  balance: number;
  purseLimit: number;
  onlineCounter: number;
  offlineCounter: number;
  pin: string;
  pinTriesLeft: number;
  pinMaxTries: number;
  /** Newest first. */
  records: PurseRecord[];
  proofs: TransactionProof[];
}

export interface VirtualCardOptions {
  /** Source of the card's challenge bytes; tests pass a fixed one to get known MACs. */
  random?: (length: number) => Buffer;
}

interface Apdu { cla: number; ins: number; p1: number; p2: number; data: Buffer; le: number | null }

type Pending =
  | { kind: 'load'; sessionKey: Buffer; amount: number; terminalId: Buffer; counter: number }
  | { kind: 'purchase'; random: Buffer; amount: number; terminalId: Buffer; counter: number };

const SW = {
  ok: 0x9000, wrongLength: 0x6700, conditions: 0x6985, noCurrentEf: 0x6986, pinBlocked: 0x6983, wrongData: 0x6a80,
  fileNotFound: 0x6a82, recordNotFound: 0x6a83, wrongP1P2: 0x6a86, wrongOffset: 0x6b00, unknownIns: 0x6d00,
  wrongCla: 0x6e00, macInvalid: 0x9302, amount: 0x9401, keyIndex: 0x9403, noProof: 0x9406,
} as const;

class CardStatus extends Error {
  constructor(readonly sw: number) {
    super(sw.toString(16));
  }
}

const fail = (sw: number): never => {
  throw new CardStatus(sw);
};

function parseApdu(apdu: Buffer): Apdu {
  if (apdu.length < 4) fail(SW.wrongLength);
  const [cla, ins, p1, p2] = [apdu[0]!, apdu[1]!, apdu[2]!, apdu[3]!];
  if (apdu.length === 4) return { cla, ins, p1, p2, data: Buffer.alloc(0), le: null };
  if (apdu.length === 5) return { cla, ins, p1, p2, data: Buffer.alloc(0), le: apdu[4]! };
  const lc = apdu[4]!;
  if (apdu.length !== 5 + lc && apdu.length !== 6 + lc) fail(SW.wrongLength);
  return { cla, ins, p1, p2, data: apdu.subarray(5, 5 + lc), le: apdu.length === 6 + lc ? apdu[5 + lc]! : null };
}

function fixedText(text: string, length: number, encoding: 'utf8' | 'ascii'): Buffer {
  const out = Buffer.alloc(length);
  Buffer.from(text, encoding).copy(out, 0, 0, length);
  return out;
}

export class VirtualCard implements CardDevice {
  readonly atr = VIRTUAL_CARD_ATR;
  #s: VirtualCardState;
  readonly #random: (length: number) => Buffer;
  /** How many FIDs of FID_PATH are selected; FID_PATH.length = the purse application is selected. */
  #depth = 0;
  #pending: Pending | null = null;

  constructor(state: VirtualCardState, options: VirtualCardOptions = {}) {
    fromHex(state.asn, 10);
    fromHex(state.issuerId, 8);
    for (const key of [state.keys.dlk, state.keys.dpk, state.keys.dtk]) fromHex(key, 16);
    this.#s = structuredClone(state);
    this.#random = options.random ?? randomBytes;
  }

  /** A copy of the persistent state, to store or inspect. */
  state(): VirtualCardState {
    return structuredClone(this.#s);
  }

  reset(): void {
    this.#depth = 0;
    this.#pending = null;
  }

  transmit(apdu: Buffer): Buffer {
    // A credit or debit must come right after its INITIALIZE: any command ends the pending session.
    const pending = this.#pending;
    this.#pending = null;
    try {
      const cmd = parseApdu(apdu);
      return Buffer.concat([this.#dispatch(cmd, pending), uintBE(SW.ok, 2)]);
    } catch (err) {
      if (err instanceof CardStatus) return uintBE(err.sw, 2);
      throw err;
    }
  }

  get #appSelected(): boolean {
    return this.#depth === FID_PATH.length;
  }

  #dispatch(c: Apdu, pending: Pending | null): Buffer {
    if (c.cla !== 0x00 && c.cla !== 0x80) fail(SW.wrongCla);
    const iso = c.cla === 0x00;
    const handler = ({
      0xa4: [true, () => this.#select(c)],
      0xb0: [true, () => this.#readBinary(c)],
      0xb2: [true, () => this.#readRecord(c)],
      0x20: [true, () => this.#verify(c)],
      0x5c: [false, () => this.#getBalance(c)],
      0x50: [false, () => this.#initialize(c)],
      0x52: [false, () => this.#credit(c, pending)],
      0x54: [false, () => this.#debit(c, pending)],
      0x5a: [false, () => this.#prove(c)],
    } as Record<number, [boolean, () => Buffer]>)[c.ins];
    if (!handler) return fail(SW.unknownIns);
    if (handler[0] !== iso) fail(SW.wrongCla);
    return handler[1]();
  }

  #select(c: Apdu): Buffer {
    if (c.p1 === 0x04) {
      if (!c.data.equals(PURSE_AID)) {
        this.#depth = 0;
        return fail(SW.fileNotFound);
      }
      this.#depth = FID_PATH.length;
      return Buffer.concat([Buffer.from([0x6f, 2 + PURSE_AID.length, 0x84, PURSE_AID.length]), PURSE_AID]);
    }
    if (c.p1 !== 0x00) return fail(SW.wrongP1P2);
    if (c.data.length !== 2) return fail(SW.wrongLength);
    const fid = toHex(c.data);
    if (fid === '3F00') this.#depth = 0;
    else if (FID_PATH[this.#depth] === fid) this.#depth += 1;
    else if (FID_PATH[0] === fid) this.#depth = 1;
    else return fail(SW.fileNotFound);
    return Buffer.alloc(0);
  }

  #requireApp(): void {
    if (!this.#appSelected) fail(SW.conditions);
  }

  #ef(sfi: number): Buffer {
    const s = this.#s;
    if (sfi === 0x15) {
      return Buffer.concat([
        fromHex(s.issuerId, 8), Buffer.from([s.appType, s.appVersion]), fromHex(s.asn, 10),
        fromHex(s.startDate, 4), fromHex(s.endDate, 4), Buffer.alloc(2),
      ]);
    }
    if (sfi === 0x16) {
      return Buffer.concat([
        fixedText(s.holder.name, HOLDER_FIELD_BYTES.name, 'utf8'), fixedText(s.holder.staffNo, HOLDER_FIELD_BYTES.staffNo, 'ascii'), Buffer.from([s.holder.idType]),
      ]);
    }
    return fail(SW.fileNotFound);
  }

  #readBinary(c: Apdu): Buffer {
    if (!this.#appSelected) return fail(SW.fileNotFound);
    if ((c.p1 & 0x80) === 0) return fail(SW.noCurrentEf);
    if (c.data.length > 0 || c.le === null) return fail(SW.wrongLength);
    const file = this.#ef(c.p1 & 0x1f);
    if (c.p2 >= file.length) return fail(SW.wrongOffset);
    return file.subarray(c.p2, c.le === 0 ? file.length : c.p2 + c.le);
  }

  #readRecord(c: Apdu): Buffer {
    if (!this.#appSelected || c.p2 >> 3 !== 0x18) return fail(SW.fileNotFound);
    if ((c.p2 & 0x07) !== 0x04) return fail(SW.wrongP1P2);
    if (c.data.length > 0 || c.le === null) return fail(SW.wrongLength);
    const r = this.#s.records[c.p1 - 1];
    if (c.p1 === 0 || !r) return fail(SW.recordNotFound);
    return encodePurseRecord(r);
  }

  #verify(c: Apdu): Buffer {
    this.#requireApp();
    if (c.p1 !== 0x00 || c.p2 !== 0x00) return fail(SW.wrongP1P2);
    if (this.#s.pinTriesLeft === 0) return fail(SW.pinBlocked);
    if (c.data.length < 2 || c.data.length > 6) return fail(SW.wrongLength);
    const digits = c.data.toString('hex').toUpperCase().replace(/F+$/, '');
    if (!/^\d+$/.test(digits)) return fail(SW.wrongData);
    if (digits !== this.#s.pin) {
      this.#s.pinTriesLeft -= 1;
      return fail(0x63c0 | this.#s.pinTriesLeft);
    }
    this.#s.pinTriesLeft = this.#s.pinMaxTries;
    return Buffer.alloc(0);
  }

  #getBalance(c: Apdu): Buffer {
    this.#requireApp();
    if (c.p1 !== 0x00 || c.p2 !== 0x02) return fail(SW.wrongP1P2);
    return uintBE(this.#s.balance, 4);
  }

  #initialize(c: Apdu): Buffer {
    if ((c.p1 !== 0x00 && c.p1 !== 0x01) || c.p2 !== 0x02) return fail(SW.wrongP1P2);
    if (c.data.length !== 11) return fail(SW.wrongLength);
    this.#requireApp();
    const s = this.#s;
    const keyIndex = c.data[0]!;
    const amount = c.data.readUInt32BE(1);
    const terminalId = Buffer.from(c.data.subarray(5, 11));
    if (keyIndex !== s.keys.index) return fail(SW.keyIndex);
    if (amount === 0) return fail(SW.wrongData);
    const keyInfo = Buffer.from([s.keys.version, s.keys.algId]);
    if (c.p1 === 0x00) {
      if (s.balance + amount > s.purseLimit) return fail(SW.amount);
      if (s.onlineCounter >= 0xffff) return fail(SW.conditions);
      const random = this.#random(4);
      const sessionKey = loadSessionKey(fromHex(s.keys.dlk, 16), random, s.onlineCounter);
      const mac1 = loadMac1({ oldBalance: s.balance, amount, terminalId }, sessionKey);
      this.#pending = { kind: 'load', sessionKey, amount, terminalId, counter: s.onlineCounter };
      return Buffer.concat([uintBE(s.balance, 4), uintBE(s.onlineCounter, 2), keyInfo, random, mac1]);
    }
    if (s.balance < amount) return fail(SW.amount);
    if (s.offlineCounter >= 0xffff) return fail(SW.conditions);
    const random = this.#random(4);
    this.#pending = { kind: 'purchase', random, amount, terminalId, counter: s.offlineCounter };
    return Buffer.concat([uintBE(s.balance, 4), uintBE(s.offlineCounter, 2), uintBE(0, 3), keyInfo, random]);
  }

  #credit(c: Apdu, pending: Pending | null): Buffer {
    if (c.p1 !== 0x00 || c.p2 !== 0x00) return fail(SW.wrongP1P2);
    if (c.data.length !== 11) return fail(SW.wrongLength);
    if (pending?.kind !== 'load') return fail(SW.conditions);
    const date = c.data.subarray(0, 4);
    const time = c.data.subarray(4, 7);
    const mac2 = c.data.subarray(7, 11);
    const expected = loadMac2({ amount: pending.amount, terminalId: pending.terminalId, date, time }, pending.sessionKey);
    if (!timingSafeEqual(expected, mac2)) return fail(SW.macInvalid);
    const s = this.#s;
    const newBalance = s.balance + pending.amount;
    const tac = loadTac(fromHex(s.keys.dtk, 16), {
      newBalance, counterBefore: pending.counter, amount: pending.amount, type: TXN_TYPE.load,
      terminalId: pending.terminalId, date, time,
    });
    s.balance = newBalance;
    this.#remember(TXN_TYPE.load, pending, date, time, mac2, tac);
    s.onlineCounter = pending.counter + 1;
    return tac;
  }

  #debit(c: Apdu, pending: Pending | null): Buffer {
    if (c.p1 !== 0x01 || c.p2 !== 0x00) return fail(SW.wrongP1P2);
    if (c.data.length !== 15) return fail(SW.wrongLength);
    if (pending?.kind !== 'purchase') return fail(SW.conditions);
    const terminalTxSeq = c.data.readUInt32BE(0);
    const date = c.data.subarray(4, 8);
    const time = c.data.subarray(8, 11);
    const mac1 = c.data.subarray(11, 15);
    const s = this.#s;
    const sessionKey = purchaseSessionKey(fromHex(s.keys.dpk, 16), pending.random, pending.counter, terminalTxSeq);
    const expected = purchaseMac1({ amount: pending.amount, terminalId: pending.terminalId, date, time }, sessionKey);
    if (!timingSafeEqual(expected, mac1)) return fail(SW.macInvalid);
    const mac2 = purchaseMac2({ amount: pending.amount }, sessionKey);
    const tac = purchaseTac(fromHex(s.keys.dtk, 16), {
      amount: pending.amount, type: TXN_TYPE.purchase, terminalId: pending.terminalId, terminalTxSeq, date, time,
    });
    s.balance -= pending.amount;
    this.#remember(TXN_TYPE.purchase, pending, date, time, mac2, tac);
    s.offlineCounter = pending.counter + 1;
    return Buffer.concat([tac, mac2]);
  }

  /** Writes the cyclic record and keeps the proof GET TRANSACTION PROVE returns. */
  #remember(type: number, p: Pending, date: Buffer, time: Buffer, mac: Buffer, tac: Buffer): void {
    const s = this.#s;
    s.records = [
      { counter: p.counter, overdraft: 0, amount: p.amount, type, terminalId: toHex(p.terminalId), date: toHex(date), time: toHex(time) },
      ...s.records,
    ].slice(0, MAX_RECORDS);
    s.proofs = [...s.proofs.filter((x) => x.type !== type), { type, counter: p.counter + 1, mac: toHex(mac), tac: toHex(tac) }];
  }

  #prove(c: Apdu): Buffer {
    if (c.p1 !== 0x00) return fail(SW.wrongP1P2);
    if (c.data.length !== 2) return fail(SW.wrongLength);
    this.#requireApp();
    const counter = c.data.readUInt16BE(0);
    const proof = this.#s.proofs.find((x) => x.type === c.p2 && x.counter === counter);
    if (!proof) return fail(SW.noProof);
    return Buffer.concat([fromHex(proof.mac, 4), fromHex(proof.tac, 4)]);
  }
}
