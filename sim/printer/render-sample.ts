/**
 * Writes the sample receipt PNG for the docs: the zh load receipt printed through the ESC/POS encoder and parsed back
 * by the emulator. Usage: npx tsx sim/printer/render-sample.ts [out=docs/receipt-sample.png] [fontPath]
 */
import { writeFileSync } from 'node:fs';
import { encodeEscPos, type PrinterColumns } from '../../hal/printer/escpos.ts';
import { formatReceipt, type Receipt } from '../../hal/printer/receipt.ts';
import { duplexPair } from '../../hal/serial/memory-cable.ts';
import { LOAD_RECEIPTS } from '../../runtime/flows/load/load-descriptor.ts';
import { PrinterEmulator, type PrintedReceipt } from './escpos-emulator.ts';
import { renderReceiptPng } from './render.ts';

export const SAMPLE: Receipt = {
  campus: '清源大学', kioskId: 'QY-K0017', txnRef: '20261128120412000317', time: new Date('2026-11-28T04:04:12Z'),
  wording: LOAD_RECEIPTS.load, maskedCard: '2023****0317', amountFen: 10000, balanceAfterFen: 12345, bankRef: '123456789012',
  timeZone: 'Asia/Shanghai',
};

/** Feeds the document's bytes to an emulator and returns what it printed. */
export async function printOnEmulator(receipt: Receipt, lang: 'zh' | 'en', columns: PrinterColumns = 32): Promise<PrintedReceipt> {
  const emulator = new PrinterEmulator();
  const [host, device] = duplexPair();
  emulator.attach(device);
  const printed = new Promise<PrintedReceipt>((resolve) => emulator.once('receipt', resolve));
  host.write(encodeEscPos(formatReceipt(receipt, lang), { columns }));
  const result = await printed;
  host.destroy();
  return result;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [out = 'docs/receipt-sample.png', fontPath] = process.argv.slice(2);
  const receipt = await printOnEmulator(SAMPLE, 'zh');
  writeFileSync(out, renderReceiptPng(receipt, { columns: 32, ...(fontPath ? { fontPath } : {}) }));
  console.log(out);
}
