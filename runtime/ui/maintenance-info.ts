/** What the technician's maintenance screen shows (read from the kiosk's service status, link and journal) and prints. */
import type { PrinterDocument } from '../../hal/printer/document.ts';
import type { MaintenanceInfo } from '../../screens/view-model.ts';
import type { Kiosk } from '../kiosk.ts';
import { openRecords } from '../journal/kiosk-journal.ts';

export async function maintenanceInfo(kiosk: Kiosk, startedAt: number, now = Date.now()): Promise<MaintenanceInfo> {
  const faults = kiosk.status.faults;
  const printer = faults.get('receipt-printer');
  const minutes = Math.floor((now - startedAt) / 60_000);
  return {
    version: kiosk.version,
    uptime: `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`,
    reader: faults.has('card-reader') ? 'fault' : 'ok',
    pinPad: faults.has('pin-pad') ? 'fault' : 'ok',
    printer: !printer ? 'ok' : printer.code === 'PRINTER_PAPER_OUT' ? 'paper-out' : 'fault',
    network: kiosk.link.online ? 'up' : 'down',
    journalOpen: openRecords(await kiosk.journalSummary()),
    ...(kiosk.status.reason ? { lastError: kiosk.status.reason } : {}),
  };
}

/** The technician's test print: proves paper, cutter and the GB18030 path with one line of each script. */
export function testPage(version: string, kioskId: string): PrinterDocument {
  return [
    { kind: 'text', text: '打印测试 / TEST PRINT', align: 'center', bold: true },
    { kind: 'rule' },
    { kind: 'pair', left: '终端 Kiosk', right: kioskId },
    { kind: 'pair', left: '版本 Version', right: version },
    { kind: 'feed', lines: 2 },
    { kind: 'cut' },
  ];
}
