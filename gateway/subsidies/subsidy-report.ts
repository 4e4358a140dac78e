/**
 * The subsidy report: per batch and in total, issued = collected + outstanding + expired, in count and fen. Each line
 * is counted by its ledger posting (final, pending, expired), and the credit's journaled state must agree with it: a
 * line with no posting, or whose state says otherwise, leaves its batch unbalanced rather than being guessed into a
 * column. `held` (part of outstanding) is what waits past its expiry for the card's counter, or for an operator.
 */
import { formatYuan } from '../../common/money.ts';
import type { Posting } from '../ledger/campus-ledger.ts';
import type { CampusCreditRecord, CampusCreditState } from '../credits/campus-credits.ts';
import type { SubsidyBatch } from './subsidy-service.ts';

export interface Tally {
  count: number;
  amount: number;
}

const COLUMNS = ['issued', 'collected', 'outstanding', 'held', 'expired'] as const;
type Column = (typeof COLUMNS)[number];

export type Tallies = Record<Column, Tally> & { balanced: boolean };

export interface BatchReport extends Tallies {
  batchId: string;
  kind: SubsidyBatch['kind'];
  file?: string;
  importedAt: string;
}

export interface SubsidyReport {
  batches: BatchReport[];
  total: Tallies;
}

/** The posting each journaled state goes with. */
const POSTING_OF: Record<CampusCreditState, Posting['status']> = {
  owed: 'pending', 'mac2-issued': 'pending', 'tac-failed': 'pending', completed: 'final', expired: 'expired',
};
const COLUMN_OF: Partial<Record<Posting['status'], Column>> = { final: 'collected', pending: 'outstanding', expired: 'expired' };

const empty = (): Tallies => ({ ...Object.fromEntries(COLUMNS.map((c) => [c, { count: 0, amount: 0 }])) as Record<Column, Tally>, balanced: true });

function add(t: Tallies, column: Column, amount: number): void {
  t[column].count++;
  t[column].amount += amount;
}

function balances(t: Tallies): boolean {
  const sum = (f: keyof Tally) => t.collected[f] + t.outstanding[f] + t.expired[f];
  return t.balanced && t.issued.count === sum('count') && t.issued.amount === sum('amount');
}

export interface ReportSource {
  posting(id: string): Promise<Posting | undefined>;
  credit(id: string): Promise<CampusCreditRecord | undefined>;
  now: Date;
}

export async function subsidyReport(batches: SubsidyBatch[], source: ReportSource): Promise<SubsidyReport> {
  const total = empty();
  const reports: BatchReport[] = [];
  for (const batch of batches) {
    const t = empty();
    for (const line of batch.lines) {
      add(t, 'issued', line.amount);
      const [posting, credit] = await Promise.all([source.posting(line.creditId), source.credit(line.creditId)]);
      const column = posting && COLUMN_OF[posting.status];
      if (!posting || !credit || !column || POSTING_OF[credit.state] !== posting.status || posting.amount !== line.amount) {
        t.balanced = false;
        continue;
      }
      add(t, column, line.amount);
      const pastExpiry = credit.expiresAt !== undefined && Date.parse(credit.expiresAt) <= source.now.getTime();
      if (credit.state === 'tac-failed' || (credit.state === 'mac2-issued' && pastExpiry)) add(t, 'held', line.amount);
    }
    t.balanced = balances(t);
    reports.push({ batchId: batch.batchId, kind: batch.kind, ...(batch.file ? { file: batch.file } : {}), importedAt: batch.importedAt, ...t });
    for (const c of COLUMNS) {
      total[c].count += t[c].count;
      total[c].amount += t[c].amount;
    }
    total.balanced &&= t.balanced;
  }
  total.balanced = balances(total);
  return { batches: reports, total };
}

/** The report as an operator reads it in a terminal: one line per batch, then the total. */
export function formatSubsidyReport(r: SubsidyReport): string {
  const cell = (t: Tally) => `${t.count} / ${formatYuan(t.amount)}`.padStart(18);
  const head = `${'batch'.padEnd(14)}${COLUMNS.map((c) => c.padStart(18)).join('')}  balanced`;
  const row = (name: string, t: Tallies) => `${name.padEnd(14)}${COLUMNS.map((c) => cell(t[c])).join('')}  ${t.balanced ? 'yes' : 'NO'}`;
  return [
    'count / yuan; held is part of outstanding (past expiry, waiting for the card or an operator)',
    head,
    ...r.batches.map((b) => row(b.batchId, b)),
    row('total', r.total),
  ].join('\n');
}
