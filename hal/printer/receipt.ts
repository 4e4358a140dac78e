/**
 * The receipt as data, and its layout in zh or en. The runtime passes a Receipt; the words, the order and the
 * alignment live here, so every kiosk prints the same receipt. The QR code carries the transaction reference.
 */
import { campusTime } from '../../common/campus-time.ts';
import { formatYuan } from '../../common/money.ts';
import type { PrinterDocument } from './document.ts';

export type ReceiptOperation = 'load' | 'reversal' | 'fee';

export interface Receipt {
  campus: string;
  kioskId: string;
  /** The kiosk's transaction reference; also the QR payload. */
  txnRef: string;
  time: Date;
  operation: ReceiptOperation;
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
    title: '圈存凭条', kiosk: '终端号', ref: '流水号', time: '时间', op: '交易类型', card: '卡号',
    amount: '圈存金额', balance: '卡内余额', bankRef: '银行参考号', load: '圈存', reversal: '冲正',
    feeTitle: '缴费凭条', fee: '缴费', feeAmount: '缴费金额', biller: '缴费项目', billerRef: '缴费单位流水号',
    yuan: '元', keep: '请妥善保管凭条', scan: '扫码查询交易',
  },
  en: {
    title: 'LOAD RECEIPT', kiosk: 'Kiosk', ref: 'Ref', time: 'Time', op: 'Type', card: 'Card',
    amount: 'Amount', balance: 'Balance', bankRef: 'Bank ref', load: 'Load', reversal: 'Reversal',
    feeTitle: 'FEE RECEIPT', fee: 'Fee', feeAmount: 'Paid', biller: 'Paid to', billerRef: 'Biller ref',
    yuan: 'CNY', keep: 'Please keep this receipt', scan: 'Scan to look up',
  },
} as const;

export function formatReceipt(receipt: Receipt, lang: 'zh' | 'en'): PrinterDocument {
  const w = WORDS[lang];
  const money = (fen: number) => (lang === 'zh' ? `${formatYuan(fen)}${w.yuan}` : `${w.yuan} ${formatYuan(fen)}`);
  return [
    { kind: 'text', text: receipt.campus, align: 'center', bold: true },
    { kind: 'text', text: receipt.operation === 'fee' ? w.feeTitle : w.title, align: 'center' },
    { kind: 'rule' },
    { kind: 'pair', left: w.kiosk, right: receipt.kioskId },
    { kind: 'pair', left: w.ref, right: receipt.txnRef },
    { kind: 'pair', left: w.time, right: campusTime(receipt.time, receipt.timeZone).dateTime },
    { kind: 'pair', left: w.op, right: w[receipt.operation] },
    { kind: 'pair', left: w.card, right: receipt.maskedCard },
    ...(receipt.bankRef ? [{ kind: 'pair', left: w.bankRef, right: receipt.bankRef } as const] : []),
    ...(receipt.biller ? [{ kind: 'pair', left: w.biller, right: receipt.biller } as const] : []),
    ...(receipt.billerRef ? [{ kind: 'pair', left: w.billerRef, right: receipt.billerRef } as const] : []),
    { kind: 'rule' },
    { kind: 'pair', left: receipt.operation === 'fee' ? w.feeAmount : w.amount, right: money(receipt.amountFen), bold: true },
    { kind: 'pair', left: w.balance, right: money(receipt.balanceAfterFen) },
    { kind: 'rule' },
    { kind: 'qr', data: receipt.txnRef, size: 5 },
    { kind: 'text', text: w.scan, align: 'center' },
    { kind: 'text', text: w.keep, align: 'center' },
    { kind: 'feed', lines: 3 },
    { kind: 'cut' },
  ];
}
