/**
 * The receipt-printer device kind. Backend: ESC/POS over a serial link (escpos-printer.ts) — on a board a real port,
 * in the simulator the in-memory cable to the printer emulator. The runtime watches `status` to decide whether to
 * offer a receipt: paper out or an offline printer means no receipt offered, a notice shown, the fault reported.
 */
import type { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { PrinterDocument } from './document.ts';
import type { PrinterStatus } from './escpos.ts';

export type { PrinterStatus };

export interface ReceiptPrinterEvents {
  /** Every change of status (paper near end, paper out, cover, online). */
  status: [status: PrinterStatus];
  /** The printer became unable to print (PRINTER_PAPER_OUT or PRINTER_OFFLINE). */
  fault: [error: Error];
  /** It can print again. */
  ready: [];
}

export interface ReceiptPrinter extends EventEmitter<ReceiptPrinterEvents> {
  readonly name: string;
  readonly status: PrinterStatus;
  /** Online, paper in, cover closed: a receipt may be offered. */
  readonly canPrint: boolean;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Asks the printer now (the driver also polls). */
  refreshStatus(): Promise<PrinterStatus>;
  /** Rejects with PRINTER_PAPER_OUT or PRINTER_OFFLINE, never prints half-known. */
  print(doc: PrinterDocument): Promise<void>;
}

/** Why a printer in status `s` cannot print: PRINTER_PAPER_OUT, or PRINTER_OFFLINE (off, cover open). */
export function printerStatusError(s: PrinterStatus, device: string, details: Record<string, unknown> = {}): QuancunError {
  return s.online && s.paperOut
    ? new QuancunError('PRINTER_PAPER_OUT', 'printer is out of paper', { device, ...details })
    : new QuancunError('PRINTER_OFFLINE', s.coverOpen ? 'printer cover is open' : 'printer is offline', { device, ...details });
}
