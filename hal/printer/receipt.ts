/**
 * The receipt as data, and its layout in zh or en. The runtime passes a Receipt; the common words, the order and the
 * alignment live here, so every kiosk prints the same receipt. What names the operation (title, type, amount label)
 * comes with the receipt from its flow's descriptor (runtime/flows/<flow>/): a new flow brings its words, and every
 * receipt, whatever its operation, ends with the QR code of its transaction reference.
 */
import { campusTime } from '../../common/campus-time.ts';
import { formatYuan } from '../../common/money.ts';
import type { PrinterDocument } from './document.ts';

/** The words that name one operation on its receipt. */
export interface ReceiptWording {
  /** Under the campus name, e.g. 圈存凭条. */
  title: string;
  /** The transaction type line, e.g. 圈存. */
  operation: string;
  /** The label of the amount, e.g. 圈存金额. */
  amount: string;
}
export type ReceiptWords = Record<'zh' | 'en', ReceiptWording>;

export interface Receipt {
  campus: string;
  kioskId: string;
  /** The kiosk's transaction id; also the QR payload. */
  txnRef: string;
  time: Date;
  /** What the operation is called, from its flow. */
  wording: ReceiptWords;
  /** Already masked, e.g. 6217****0001 or the campus card number with middle digits hidden. */
  maskedCard: string;
  amountFen: number;
  balanceAfterFen: number;
  /** The bank's retrieval reference, when the bank answered. */
  bankRef?: string;
  /** A fee's biller and the biller's receipt number for the payment. */
  biller?: string;
  billerRef?: string;
  /** The campus's IANA time zone: the receipt shows `time` on the campus's wall clock. */
  timeZone: string;
}

const WORDS = {
  zh: {
    kiosk: '终端号', ref: '流水号', time: '时间', op: '交易类型', card: '卡号',
    balance: '卡内余额', bankRef: '银行参考号', biller: '缴费项目', billerRef: '缴费单位流水号',
    yuan: '元', keep: '请妥善保管凭条', scan: '扫码查询交易',
  },
  en: {
    kiosk: 'Kiosk', ref: 'Ref', time: 'Time', op: 'Type', card: 'Card',
    balance: 'Balance', bankRef: 'Bank ref', biller: 'Paid to', billerRef: 'Biller ref',
    yuan: 'CNY', keep: 'Please keep this receipt', scan: 'Scan to look up',
  },
} as const;

export function formatReceipt(receipt: Receipt, lang: 'zh' | 'en'): PrinterDocument {
  const w = WORDS[lang];
  const op = receipt.wording[lang];
  const money = (fen: number) => (lang === 'zh' ? `${formatYuan(fen)}${w.yuan}` : `${w.yuan} ${formatYuan(fen)}`);
  return [
    { kind: 'text', text: receipt.campus, align: 'center', bold: true },
    { kind: 'text', text: op.title, align: 'center' },
    { kind: 'rule' },
    { kind: 'pair', left: w.kiosk, right: receipt.kioskId },
    { kind: 'pair', left: w.ref, right: receipt.txnRef },
    { kind: 'pair', left: w.time, right: campusTime(receipt.time, receipt.timeZone).dateTime },
    { kind: 'pair', left: w.op, right: op.operation },
    { kind: 'pair', left: w.card, right: receipt.maskedCard },
    ...(receipt.bankRef ? [{ kind: 'pair', left: w.bankRef, right: receipt.bankRef } as const] : []),
    ...(receipt.biller ? [{ kind: 'pair', left: w.biller, right: receipt.biller } as const] : []),
    ...(receipt.billerRef ? [{ kind: 'pair', left: w.billerRef, right: receipt.billerRef } as const] : []),
    { kind: 'rule' },
    { kind: 'pair', left: op.amount, right: money(receipt.amountFen), bold: true },
    { kind: 'pair', left: w.balance, right: money(receipt.balanceAfterFen) },
    { kind: 'rule' },
    { kind: 'qr', data: receipt.txnRef, size: 5 },
    { kind: 'text', text: w.scan, align: 'center' },
    { kind: 'text', text: w.keep, align: 'center' },
    { kind: 'feed', lines: 3 },
    { kind: 'cut' },
  ];
}
