/**
 * Issuer side of the virtual card: personalisation diversifies the issuer master keys by the card's ASN and writes
 * only the resulting card keys into the card's state. Master keys never reach a card.
 */
import { diversifyKey } from '../../common/crypto/pboc.ts';
import { bcdDate, fromHex, toHex } from '../../common/bytes.ts';
import { calendarDate, campusTime, DEFAULT_TIME_ZONE } from '../../common/campus-time.ts';
import { HOLDER_FIELD_BYTES, type VirtualCardState } from './virtual-card.ts';

export interface PersonaliseOptions {
  /** Issuer master keys (MLK, MPK, MTK), 16 bytes each. */
  masterKeys: { load: Buffer; purchase: Buffer; tac: Buffer };
  /** 20 hex digits. */
  asn: string;
  balance?: number;
  /** Largest balance the purse accepts, fen; default 100000 (1000 yuan). */
  purseLimit?: number;
  /** 4 to 12 digits; default 123456. */
  pin?: string;
  pinTries?: number;
  holder?: { name?: string; staffNo?: string; idType?: number };
  /** 16 hex digits. */
  issuerId?: string;
  /** YYYYMMDD; default today (on the campus's calendar) and ten years on. */
  startDate?: string;
  endDate?: string;
  /** The campus's IANA time zone, for today's date; default Asia/Shanghai. */
  timeZone?: string;
  keyIndex?: number;
  keyVersion?: number;
}

const DEFAULT_ISSUER_ID = '4300000000000001';
/** PBOC application type 02: electronic purse. */
const APP_TYPE_EP = 0x02;

export function personalise(o: PersonaliseOptions): VirtualCardState {
  const asn = fromHex(o.asn, 10);
  const pin = o.pin ?? '123456';
  if (!/^\d{4,12}$/.test(pin)) throw new RangeError('card PIN must be 4 to 12 digits');
  const today = campusTime(new Date(), o.timeZone ?? DEFAULT_TIME_ZONE);
  const tenYears = calendarDate(today.year + 10, today.month, today.day).replaceAll('-', '');
  const key = (master: Buffer) => toHex(diversifyKey(master, asn));
  const state: VirtualCardState = {
    asn: toHex(asn),
    issuerId: toHex(fromHex(o.issuerId ?? DEFAULT_ISSUER_ID, 8)),
    appType: APP_TYPE_EP,
    appVersion: 0x01,
    startDate: bcdDate(o.startDate ?? today.dateDigits).toString('hex'),
    endDate: bcdDate(o.endDate ?? tenYears).toString('hex'),
    holder: { name: o.holder?.name ?? '', staffNo: o.holder?.staffNo ?? '', idType: o.holder?.idType ?? 0 },
    keys: {
      dlk: key(o.masterKeys.load), dpk: key(o.masterKeys.purchase), dtk: key(o.masterKeys.tac),
      index: o.keyIndex ?? 0x01, version: o.keyVersion ?? 0x01, algId: 0x00,
    },
    balance: o.balance ?? 0,
    purseLimit: o.purseLimit ?? 100_000,
    onlineCounter: 0,
    offlineCounter: 0,
    pin,
    pinTriesLeft: o.pinTries ?? 3,
    pinMaxTries: o.pinTries ?? 3,
    records: [],
    proofs: [],
  };
  // A name cut inside a UTF-8 sequence would read back garbled: refuse instead of truncating.
  if (Buffer.byteLength(state.holder.name, 'utf8') > HOLDER_FIELD_BYTES.name) throw new RangeError(`holder name over ${HOLDER_FIELD_BYTES.name} UTF-8 bytes`);
  if (!/^[\x20-\x7e]*$/.test(state.holder.staffNo) || state.holder.staffNo.length > HOLDER_FIELD_BYTES.staffNo) {
    throw new RangeError(`staff number must be at most ${HOLDER_FIELD_BYTES.staffNo} ASCII characters`);
  }
  if (state.balance < 0 || state.balance > state.purseLimit) throw new RangeError(`balance ${state.balance} outside 0..${state.purseLimit}`);
  return state;
}
