/**
 * The contract between the kiosk runtime and the screens. The runtime's flows produce a `KioskView` (plain data, no
 * behaviour); a screen is a pure function of it. A touch on a widget produces a `UiAction`, the only way the screens
 * talk back to the flows. Money is integer fen; no full card number, PIN or PIN digit ever appears here.
 */
import type { RecordKind, RecordState } from '../common/api/topics.ts';
import type { ErrorCode } from '../common/errors.ts';

export type Lang = 'zh' | 'en';
export type Orientation = 'landscape' | 'portrait';

export type ScreenId =
  | 'idle'
  | 'card'
  | 'menu'
  | 'amount'
  | 'pin'
  | 'processing'
  | 'result'
  | 're-present'
  | 'receipt'
  | 'records'
  | 'campus-records'
  | 'pending'
  | 'fees'
  | 'fee-account'
  | 'announcements'
  | 'out-of-service'
  | 'maintenance-pin'
  | 'maintenance';

/**
 * What moves money: load from the bound bank account (圈存), collect pending loads (领款), collect subsidies (补助领取),
 * pay a fee (缴费).
 */
export type Operation = 'load' | 'collect' | 'subsidy' | 'fee';

export type MenuItem = 'load' | 'collect' | 'fees' | 'records' | 'announcements';

export type KioskMode = 'in-service' | 'out-of-service' | 'maintenance';

export interface CardSummary {
  /** Already masked by the runtime, e.g. "张*明". */
  maskedName: string;
  /** Already masked, e.g. "****1234". */
  maskedNo: string;
  balance: number;
}

export interface AmountEntry {
  operation: Operation;
  presets: number[];
  /** What the cardholder typed on the keypad, in fen (whole yuan typed); null while nothing is typed. */
  entered: number | null;
  minLoad: number;
  /** Single-load limit. */
  maxLoad: number;
  /** The card purse may hold at most this; the amount is also capped by purseLimit - balance. */
  purseLimit: number;
  /** Set when the typed amount was refused, e.g. AMOUNT_OVER_LOAD_LIMIT. */
  error?: ErrorCode;
  /** A fee: whom it pays, as the biller named the account (holder, room), for the cardholder to confirm. */
  payee?: string;
}

/** The room or account of a fee, typed on the keypad before the biller looks it up. */
export interface FeeAccountEntry {
  biller: { zh: string; en: string };
  /** The digits typed so far. */
  entered: string;
  /** Set when the biller did not know it, or could not be reached (BILLER_ACCOUNT_UNKNOWN, BILLER_UNAVAILABLE). */
  error?: ErrorCode;
}

export interface PinEntry {
  /** The PIN pad tells only how many digits were pressed, never which. */
  digits: number;
  maxDigits: number;
  /** 'bank': the bank account PIN for a load; 'technician': the maintenance PIN. */
  purpose: 'bank' | 'technician';
  /** What a bank PIN authorises, shown above the field. */
  operation?: Operation;
  amount?: number;
  /** After a wrong PIN, how many tries remain before the PIN is blocked. */
  attemptsLeft?: number;
}

export type ProcessingStep =
  | 'reading-card'
  | 'card-init'
  | 'bank'
  | 'card-credit'
  | 'confirming'
  | 'reversing'
  | 'collecting'
  | 'paying'
  | 'querying'
  | 'printing';

export interface Processing {
  step: ProcessingStep;
  operation?: Operation;
  amount?: number;
  /** 0..1 when the step has a known progress; absent shows a spinner. */
  progress?: number;
}

export interface ResultInfo {
  ok: boolean;
  operation: Operation;
  amount: number;
  /** The card balance after the transaction (ok), or unchanged balance (failure) when known. */
  newBalance?: number;
  /** The error code when ok is false: the screen shows ERROR_CODES[code][lang] and what to do. */
  code?: ErrorCode;
  /** Transaction reference shown for the service centre. */
  reference?: string;
}

export interface RePresent {
  /** Seconds left to put the same card back before the amount waits as a pending load. */
  secondsLeft: number;
  amount: number;
}

export interface ReceiptOffer {
  /** False when the printer is out of paper or faulty: the screen then says no receipt can be printed. */
  available: boolean;
  reason?: 'paper-out' | 'printer-fault';
  /** Payload for the QR code of the e-receipt (the transaction id), shown whether paper is available or not. */
  qrPayload?: string;
}

/** One of the card's campus records (the gateway's `records.query`), as the campus-records screen lists it. */
export interface CampusRecord {
  /** Campus wall clock, "2026-11-28 12:03". */
  time: string;
  kind: RecordKind;
  /** Fen, as moved: the kind says which way. */
  amount: number;
  /** The kiosk id. */
  place: string;
  state: RecordState;
}

/** How many campus records one page holds: what the campus-records table shows at 800x480 (the layout test checks). */
export const CAMPUS_RECORDS_PAGE_SIZE = 4;

export interface CampusRecordsPage {
  items: CampusRecord[];
  /** From 1. */
  page: number;
  /** At least 1, even with no records. */
  pages: number;
  /** What the gateway holds for the card (圈存未领), written at its next tap. */
  owed: { count: number; amount: number };
}

export interface TransactionRecord {
  /** ISO local time "2026-11-28 12:03". */
  time: string;
  kind: 'load' | 'collect' | 'subsidy' | 'fee' | 'purchase';
  /** Signed: positive credits the card. */
  amount: number;
  place: string;
}

export interface PendingItem {
  id: string;
  kind: 'load' | 'subsidy';
  amount: number;
  /** The reason shown, e.g. "2026年11月 伙食补助" — as the campus issued it. */
  label: string;
  date: string;
}

export interface Announcement {
  id: string;
  date: string;
  title: { zh: string; en: string };
  body: { zh: string; en: string };
}

export interface FeeItem {
  id: string;
  label: { zh: string; en: string };
  /** A fixed amount, when the fee has one; a biller's fee is chosen after its account is looked up. */
  amount?: number;
}

export interface MaintenanceInfo {
  version: string;
  uptime: string;
  reader: 'ok' | 'fault';
  pinPad: 'ok' | 'fault';
  printer: 'ok' | 'paper-out' | 'fault';
  network: 'up' | 'down';
  /** Loads waiting for the gateway or the same card (journal). */
  journalOpen: number;
  lastError?: ErrorCode;
}

export interface KioskView {
  screen: ScreenId;
  lang: Lang;
  /** Local wall clock as the runtime formats it: "2026-11-28 12:03". */
  clock: string;
  campusName: { zh: string; en: string };
  kioskId: string;
  /** The campus emblem as PNG bytes, from config; the idle screen shows it when present. */
  campusLogo?: Uint8Array;
  mode: KioskMode;
  card?: CardSummary;
  amount?: AmountEntry;
  pin?: PinEntry;
  processing?: Processing;
  result?: ResultInfo;
  rePresent?: RePresent;
  receipt?: ReceiptOffer;
  records?: TransactionRecord[];
  campusRecords?: CampusRecordsPage;
  pending?: PendingItem[];
  fees?: FeeItem[];
  feeAccount?: FeeAccountEntry;
  announcements?: Announcement[];
  /** The notice open on the announcements screen; default the first (newest). */
  openAnnouncement?: string;
  /** Why the kiosk is out of service (shown on the out-of-service screen). */
  outOfService?: ErrorCode;
  /** An operator's own words for it (remote command out-of-service), shown under the reason. */
  outOfServiceNote?: string;
  maintenance?: MaintenanceInfo;
  /** Seconds until an idle session returns to the attract screen; shown as a visible countdown. */
  inactivitySecondsLeft?: number;
}

export type KeypadKey = '0' | '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8' | '9' | 'del' | 'ok';

export type MaintenanceCommand = 'reboot' | 'test-print' | 'resync' | 'exit';

export type UiAction =
  | { type: 'lang'; lang: Lang }
  | { type: 'menu'; item: MenuItem }
  | { type: 'amount-preset'; fen: number }
  | { type: 'key'; key: KeypadKey }
  | { type: 'confirm' }
  | { type: 'cancel' }
  | { type: 'back' }
  | { type: 'receipt'; print: boolean }
  | { type: 'collect'; id: string }
  | { type: 'fee'; id: string }
  | { type: 'announcement'; id: string }
  /** A page of the card's campus records (from the card records screen, page 1; then the page arrows). */
  | { type: 'records-page'; page: number }
  | { type: 'maintenance'; command: MaintenanceCommand }
  /** A long press on the corner of the idle screen: asks for the technician PIN. */
  | { type: 'technician' };
