/**
 * The receipt as data, and its layout in zh or en. The runtime passes a Receipt; the words, the order and the
 * alignment live here, so every kiosk prints the same receipt. Every receipt, whatever its operation, ends with the QR
 * code of its transaction reference: a flow that adds an operation adds its words here and gets the QR with them.
 */
import { campusTime } from '../../common/campus-time.ts';
import { formatYuan } from '../../common/money.ts';
import type { PrinterDocument } from './document.ts';

/** collect: a pending load (圈存未领) written onto the card at a tap; subsidy: subsidies (补助) the cardholder collected; fee: a fee paid from the purse (缴费). */
export type ReceiptOperation = 'load' | 'collect' | 'subsidy' | 'reversal' | 'fee';

export interface Receipt {
  campus: string;
  kioskId: string;
  /** The kiosk's transaction id; also the QR payload. */
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
    title: { load: '圈存凭条', collect: '领款凭条', subsidy: '补助领取凭条', reversal: '圈存凭条', fee: '缴费凭条' },
    amount: { load: '圈存金额', collect: '领取金额', subsidy: '补助金额', reversal: '圈存金额', fee: '缴费金额' },
    kiosk: '终端号', ref: '流水号', time: '时间', op: '交易类型', card: '卡号',
    balance: '卡内余额', bankRef: '银行参考号', load: '圈存', collect: '领款', subsidy: '补助领取', reversal: '冲正', fee: '缴费', biller: '缴费项目', billerRef: '缴费单位流水号',
    yuan: '元', keep: '请妥善保管凭条', scan: '扫码查询交易',
  },
  en: {
    title: { load: 'LOAD RECEIPT', collect: 'COLLECTION RECEIPT', subsidy: 'SUBSIDY RECEIPT', reversal: 'LOAD RECEIPT', fee: 'FEE RECEIPT' },
    amount: { load: 'Amount', collect: 'Amount', subsidy: 'Subsidy', reversal: 'Amount', fee: 'Paid' },
    kiosk: 'Kiosk', ref: 'Ref', time: 'Time', op: 'Type', card: 'Card',
    balance: 'Balance', bankRef: 'Bank ref', load: 'Load', collect: 'Collection', subsidy: 'Subsidy', reversal: 'Reversal', fee: 'Fee', biller: 'Paid to', billerRef: 'Biller ref',
    yuan: 'CNY', keep: 'Please keep this receipt', scan: 'Scan to look up',
  },
} as const;

export function formatReceipt(receipt: Receipt, lang: 'zh' | 'en'): PrinterDocument {
  const w = WORDS[lang];
  const money = (fen: number) => (lang === 'zh' ? `${formatYuan(fen)}${w.yuan}` : `${w.yuan} ${formatYuan(fen)}`);
  return [
    { kind: 'text', text: receipt.campus, align: 'center', bold: true },
    { kind: 'text', text: w.title[receipt.operation], align: 'center' },
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
    { kind: 'pair', left: w.amount[receipt.operation], right: money(receipt.amountFen), bold: true },
    { kind: 'pair', left: w.balance, right: money(receipt.balanceAfterFen) },
    { kind: 'rule' },
    { kind: 'qr', data: receipt.txnRef, size: 5 },
    { kind: 'text', text: w.scan, align: 'center' },
    { kind: 'text', text: w.keep, align: 'center' },
    { kind: 'feed', lines: 3 },
    { kind: 'cut' },
  ];
}
