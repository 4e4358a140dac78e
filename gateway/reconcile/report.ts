/**
 * The reconciliation report three ways: a summary for the operator's terminal, CSV for a spreadsheet, and the JSON
 * summary `{differences, resolved, open}` that `quancun reconcile --json` prints as its last line.
 */
import { toCsv } from '../../common/csv.ts';
import { formatYuan } from '../../common/money.ts';
import { DIFFERENCE_CLASSES, type Difference } from './reconcile.ts';

export interface ReconcileSummary {
  bankId: string;
  date: string;
  /** Lines in the bank's file and campus loads of the day, as compared. */
  compared: { bankLines: number; campusLoads: number };
  differences: Difference[];
  resolved: number;
  open: number;
}

export function summarise(bankId: string, date: string, compared: ReconcileSummary['compared'], differences: Difference[]): ReconcileSummary {
  const resolved = differences.filter((d) => d.status === 'resolved').length;
  return { bankId, date, compared, differences, resolved, open: differences.length - resolved };
}

const yuan = (fen: number | null) => (fen === null ? '-' : formatYuan(fen));

export function formatText(s: ReconcileSummary): string {
  const lines = [
    `reconciliation ${s.bankId} ${s.date}: ${s.compared.bankLines} bank lines, ${s.compared.campusLoads} campus loads`,
    `differences ${s.differences.length}: ${s.resolved} resolved, ${s.open} open`,
  ];
  for (const c of DIFFERENCE_CLASSES) {
    const of = s.differences.filter((d) => d.class === c);
    if (of.length) lines.push(`  ${c.padEnd(36)} ${of.length}`);
  }
  for (const d of s.differences) {
    lines.push('', `${d.status === 'open' ? 'OPEN    ' : 'resolved'} ${d.class}  STAN ${String(d.stan).padStart(6, '0')}  ${d.txnId ?? '(no campus record)'}`,
      `         campus ${yuan(d.campusAmount)}  bank ${yuan(d.bankAmount)}  gateway ${d.gatewayState ?? '-'}  kiosk ${d.kioskState ?? '-'}  posting ${d.posting ?? '-'}`,
      `         ${d.action}`);
  }
  return lines.join('\n');
}

const CSV_COLUMNS = ['class', 'status', 'stan', 'txnId', 'campusAmount', 'bankAmount', 'bankRef', 'gatewayState', 'kioskState', 'posting', 'action'] as const;

export function formatCsv(s: ReconcileSummary): string {
  return toCsv(CSV_COLUMNS, s.differences);
}

/** The last line of `--json`. */
export function jsonLine(s: ReconcileSummary): string {
  return JSON.stringify({ differences: s.differences, resolved: s.resolved, open: s.open });
}
