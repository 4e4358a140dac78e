/**
 * A simulated receipt printer in-process: the real ESC/POS driver wired to the printer emulator over the in-memory
 * cable, so the runtime exercises the driver a board runs, and a test or panel drives the device side.
 */
import { PrinterEmulator, type PrinterDevice } from './escpos-emulator.ts';
import { memoryCable, type MemoryCable } from '../../hal/serial/memory-cable.ts';
import { SerialLink } from '../../hal/serial/serial-link.ts';
import type { TrafficInspector } from '../../hal/serial/traffic-inspector.ts';
import { EscPosPrinter, type EscPosPrinterOptions } from '../../hal/printer/escpos-printer.ts';
import type { ReceiptPrinter } from '../../hal/printer/printer.ts';

/** The simulated printer's paper width in font A cells (58 mm paper); the panel lays its receipt text out with it. */
export const SIM_PRINTER_COLUMNS = 32;

export interface SimPrinter {
  printer: ReceiptPrinter;
  device: PrinterDevice;
  cable: Pick<MemoryCable, 'unplug' | 'replug' | 'plugged'>;
}

export function createSimPrinter(
  options: Partial<EscPosPrinterOptions> & { name?: string; inspector?: TrafficInspector; backoffMs?: number } = {},
): SimPrinter {
  const device = new PrinterEmulator();
  const cable = memoryCable((end) => device.attach(end));
  const link = new SerialLink({
    name: options.name ?? 'printer',
    open: cable.open,
    inspector: options.inspector,
    backoff: { initialMs: options.backoffMs ?? 100, maxMs: 2000 },
  });
  return { printer: new EscPosPrinter(link, { ...options, columns: options.columns ?? SIM_PRINTER_COLUMNS }), device, cable };
}
