/**
 * The receipt-printer contract: the ESC/POS driver against the printer emulator, on every link this machine has
 * (the in-memory cable, a socat pty pair). The expected receipt text is written out by hand below.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import { formatReceipt } from '../../hal/printer/receipt.ts';
import type { ReceiptPrinter } from '../../hal/printer/printer.ts';
import type { PrinterDevice } from '../../sim/printer/escpos-emulator.ts';
import { receiptText } from '../../sim/printer/render.ts';
import { SAMPLE } from '../../sim/printer/render-sample.ts';

export interface PrinterRig {
  printer: ReceiptPrinter;
  device: PrinterDevice;
  unplug(): Promise<void>;
  replug(): Promise<void>;
  close(): Promise<void>;
}

export const SAMPLE_RECEIPT = SAMPLE;

const sp = (n: number) => ' '.repeat(n);
/** 32 cells: a CJK character is two. */
export const SAMPLE_ZH_TEXT = [
  `${sp(12)}清源大学`,
  `${sp(12)}圈存凭条`,
  '-'.repeat(32),
  `终端号${sp(18)}QY-K0017`,
  `流水号${sp(6)}20261128120412000317`,
  `时间${sp(9)}2026-11-28 12:04:12`,
  `交易类型${sp(20)}圈存`,
  `卡号${sp(16)}2023****0317`,
  `银行参考号${sp(10)}123456789012`,
  '-'.repeat(32),
  `圈存金额${sp(16)}100.00元`,
  `卡内余额${sp(16)}123.45元`,
  '-'.repeat(32),
  `${sp(3)}[QR 20261128120412000317]`,
  '', // the encoder ends the QR block with a line feed
  `${sp(10)}扫码查询交易`,
  `${sp(9)}请妥善保管凭条`,
  '',
  '',
  '',
].join('\n');

const SAMPLE_EN_TEXT = [
  `${sp(12)}清源大学`,
  `${sp(10)}LOAD RECEIPT`,
  '-'.repeat(32),
  `Kiosk${sp(19)}QY-K0017`,
  `Ref${sp(9)}20261128120412000317`,
  `Time${sp(9)}2026-11-28 12:04:12`,
  `Type${sp(24)}Load`,
  `Card${sp(16)}2023****0317`,
  `Bank ref${sp(12)}123456789012`,
  '-'.repeat(32),
  `Amount${sp(16)}CNY 100.00`,
  `Balance${sp(15)}CNY 123.45`,
  '-'.repeat(32),
  `${sp(3)}[QR 20261128120412000317]`,
  '', // the encoder ends the QR block with a line feed
  `${sp(8)}Scan to look up`,
  `${sp(4)}Please keep this receipt`,
  '',
  '',
  '',
].join('\n');

async function until(printer: ReceiptPrinter, event: 'fault' | 'ready'): Promise<unknown[]> {
  return once(printer, event);
}

export function printerContract(backend: string, makeRig: () => Promise<PrinterRig>): void {
  const rigTest = (title: string, body: (t: ExecutionContext, rig: PrinterRig) => Promise<void>) =>
    test.serial(`${backend}: ${title}`, async (t) => {
      const rig = await makeRig();
      t.teardown(() => rig.close());
      const ready = until(rig.printer, 'ready');
      await rig.printer.start();
      await ready;
      t.true(rig.printer.canPrint);
      await body(t, rig);
    });

  rigTest('prints the load receipt: Chinese text, amounts flush right, the QR carrying the reference, a cut', async (t, { printer, device }) => {
    const printed = once(device, 'receipt');
    await printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh'));
    await printed;
    t.is(device.receipts.length, 1);
    const receipt = device.receipts[0]!;
    t.is(receiptText(receipt, 32), SAMPLE_ZH_TEXT);
    t.deepEqual(receipt.lines.filter((l) => l.kind === 'qr').map((l) => l.kind === 'qr' && l.data), ['20261128120412000317']);
    t.is(receipt.cut, 'partial');
    t.is(device.unknownBytes, 0);
  });

  rigTest('prints the English receipt', async (t, { printer, device }) => {
    const printed = once(device, 'receipt');
    await printer.print(formatReceipt(SAMPLE_RECEIPT, 'en'));
    await printed;
    t.is(receiptText(device.receipts[0]!, 32), SAMPLE_EN_TEXT);
  });

  rigTest('paper near end is reported and printing goes on', async (t, { printer, device }) => {
    device.setPaper('near-end');
    const [status] = await once(printer, 'status');
    t.like(status, { paperNearEnd: true, paperOut: false, online: true });
    t.true(printer.canPrint);
  });

  rigTest('paper out mid-day: reported, no receipt printed, and back when paper is loaded', async (t, { printer, device }) => {
    await printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh'));
    const fault = until(printer, 'fault');
    device.setPaper('out');
    t.is(((await fault)[0] as QuancunError).code, 'PRINTER_PAPER_OUT');
    t.false(printer.canPrint);
    t.like(printer.status, { paperOut: true, online: true });
    const err = await t.throwsAsync(printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh')), { instanceOf: QuancunError });
    t.is(err?.code, 'PRINTER_PAPER_OUT');
    t.is(device.receipts.length, 1, 'nothing more was printed');
    const ready = until(printer, 'ready');
    device.setPaper('ok');
    await ready;
    await printer.print(formatReceipt(SAMPLE_RECEIPT, 'en'));
    t.is(device.receipts.length, 2);
  });

  rigTest('an open cover is PRINTER_OFFLINE until it closes', async (t, { printer, device }) => {
    const fault = until(printer, 'fault');
    device.openCover();
    t.is(((await fault)[0] as QuancunError).code, 'PRINTER_OFFLINE');
    t.like(printer.status, { coverOpen: true });
    const ready = until(printer, 'ready');
    device.closeCover();
    await ready;
  });

  rigTest('a printer switched off stops answering: offline, refused jobs, back when switched on', async (t, { printer, device }) => {
    const fault = until(printer, 'fault');
    device.powerOff();
    t.is(((await fault)[0] as QuancunError).code, 'PRINTER_OFFLINE');
    t.false(printer.status.online);
    t.is((await t.throwsAsync(printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh')), { instanceOf: QuancunError }))?.code, 'PRINTER_OFFLINE');
    const ready = until(printer, 'ready');
    device.powerOn();
    await ready;
    t.is(device.receipts.length, 0);
  });

  rigTest('status answers lost on the line are asked again: no fault, and the receipt prints', async (t, { printer, device }) => {
    const faults: unknown[] = [];
    printer.on('fault', (err) => faults.push(err));
    device.loseAnswers(2);
    const printed = once(device, 'receipt');
    await printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh'));
    await printed;
    t.deepEqual(faults, []);
    t.true(printer.canPrint);
  });

  rigTest('unplugged and replugged: reported offline, then recovers by itself and prints', async (t, rig) => {
    const { printer, device } = rig;
    const fault = until(printer, 'fault');
    await rig.unplug();
    t.is(((await fault)[0] as QuancunError).code, 'PRINTER_OFFLINE');
    t.is((await t.throwsAsync(printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh')), { instanceOf: QuancunError }))?.code, 'PRINTER_OFFLINE');
    const ready = until(printer, 'ready');
    await rig.replug();
    await ready;
    const printed = once(device, 'receipt');
    await printer.print(formatReceipt(SAMPLE_RECEIPT, 'zh'));
    await printed;
    t.is(receiptText(device.receipts.at(-1)!, 32), SAMPLE_ZH_TEXT);
  });
}
