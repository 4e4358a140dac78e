/**
 * The bank's daily reconciliation file (对账文件): fixed-width lines whose columns, widths and trade codes a bank
 * profile declares. The bank simulator writes it from its own log; `quancun reconcile` reads it. Numeric columns
 * are right-aligned and zero-filled, the others left-aligned and space-filled.
 */
import { QuancunError } from '../../common/errors.ts';

export const RECON_COLUMNS = ['tradeCode', 'date', 'time', 'terminalId', 'campusAccount', 'pan', 'stan', 'bankRef', 'campusRef', 'amount'] as const;
export type ReconColumn = (typeof RECON_COLUMNS)[number];
const NUMERIC = new Set<ReconColumn>(['date', 'time', 'stan', 'amount']);

export interface ReconFileLayout {
  /** With `{date}` (yyyymmdd) and optionally `{terminalId}`. */
  fileName: string;
  lineEnding: 'crlf' | 'lf';
  columns: Array<{ name: ReconColumn; width: number }>;
  /** What the trade code column says for a debit (transfer) and for its reversal. */
  tradeCodes: { transfer: string; reversal: string };
}

/** One line of the file; `date` is yyyymmdd, `time` hhmmss, `amount` fen. */
export interface BankFileRecord {
  kind: 'transfer' | 'reversal';
  date: string;
  time: string;
  terminalId: string;
  campusAccount: string;
  pan: string;
  stan: number;
  bankRef: string;
  campusRef: string;
  amount: number;
}

export function bankFileName(layout: ReconFileLayout, date: string, terminalId: string): string {
  return layout.fileName.replace('{date}', date.replace(/-/g, '')).replace('{terminalId}', terminalId);
}

function cell(record: BankFileRecord, name: ReconColumn, layout: ReconFileLayout): string {
  switch (name) {
    case 'tradeCode':
      return layout.tradeCodes[record.kind];
    case 'stan':
    case 'amount':
      return String(record[name]);
    default:
      return record[name];
  }
}

export function formatBankFile(layout: ReconFileLayout, records: BankFileRecord[]): string {
  const eol = layout.lineEnding === 'crlf' ? '\r\n' : '\n';
  return records.map((r) => layout.columns.map(({ name, width }) => {
    const text = cell(r, name, layout);
    if (text.length > width) throw new QuancunError('INTERNAL', `${name} "${name === 'pan' ? '…' : text}" is wider than its ${width} columns`);
    return NUMERIC.has(name) ? text.padStart(width, '0') : text.padEnd(width, ' ');
  }).join('') + eol).join('');
}

/** Parses the file; a line of the wrong width or with an unknown trade code is BANK_PROTOCOL naming the line. */
export function parseBankFile(layout: ReconFileLayout, text: string, source: string): BankFileRecord[] {
  const width = layout.columns.reduce((sum, c) => sum + c.width, 0);
  const lines = text.split(/\r?\n/);
  if (lines.at(-1) === '') lines.pop();
  return lines.map((line, i) => {
    const bad = (reason: string) => new QuancunError('BANK_PROTOCOL', `${source} line ${i + 1}: ${reason}`, { path: source, line: i + 1 });
    if (line.length !== width) throw bad(`${line.length} characters, the layout has ${width}`);
    const cells: Partial<Record<ReconColumn, string>> = {};
    let at = 0;
    for (const { name, width: w } of layout.columns) {
      const raw = line.slice(at, at + w);
      at += w;
      if (NUMERIC.has(name) && !/^\d+$/.test(raw)) throw bad(`${name} is not numeric`);
      cells[name] = NUMERIC.has(name) ? raw : raw.trimEnd();
    }
    const kind = cells.tradeCode === layout.tradeCodes.transfer ? 'transfer' : cells.tradeCode === layout.tradeCodes.reversal ? 'reversal' : null;
    if (!kind) throw bad(`unknown trade code "${cells.tradeCode}"`);
    return {
      kind,
      date: cells.date ?? '',
      time: cells.time ?? '',
      terminalId: cells.terminalId ?? '',
      campusAccount: cells.campusAccount ?? '',
      pan: cells.pan ?? '',
      stan: Number(cells.stan),
      bankRef: cells.bankRef ?? '',
      campusRef: cells.campusRef ?? '',
      amount: Number(cells.amount),
    };
  });
}
