/**
 * The batch transfer mode (后台批量转账) as the operator console shows it: the standing orders with the card and bank
 * account they pull from (masked, first 6 and last 4), the runs newest first with their counts — live from the
 * transfers' records while a run sends, its journaled summary once done — and one run's transfers.
 */
import { maskPan } from '../../common/log.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { OrderRule } from './standing-orders.ts';
import { runTransfersPrefix, type RunRecord, type RunState, type RunSummary, type TransferRecord, type TransferState } from './transfer-machine.ts';
import { summarise, type TransferService } from './transfer-service.ts';

export interface OrderView {
  campusAccount: string;
  /** The card's ASN and the bound bank account, masked; empty when the account is gone from the ledger. */
  card: string;
  bankId: string;
  bankAccount: string;
  amount: number;
  rule: OrderRule;
  createdAt: string;
}

export interface RunView {
  id: string;
  date: string;
  by: string;
  state: RunState;
  startedAt: string;
  endedAt?: string;
  summary: RunSummary;
  /** Transfers that went out to their bank (the planned ones less those not sent). */
  sent: number;
}

export interface TransferView {
  id: string;
  campusAccount: string;
  card: string;
  bankId: string;
  amount: number;
  rule: string;
  period: string;
  state: TransferState;
  stan?: number;
  bankRef?: string;
  code?: string;
  responseCode?: string;
  updatedAt: string;
}

export interface TransferOverview {
  orders: OrderView[];
  runs: RunView[];
  /** A run is under way in the gateway: starting another is refused. */
  running: boolean;
}

type Source = Pick<TransferService, 'orders' | 'runs' | 'transfers' | 'running'>;

export async function transferOverview(transfers: Source, ledger: Pick<CampusLedger, 'account'>, runLimit = 50): Promise<TransferOverview> {
  const orders = await Promise.all((await transfers.orders.list()).map(async (o): Promise<OrderView> => {
    const account = await ledger.account(o.campusAccount);
    return {
      campusAccount: o.campusAccount, card: account ? maskPan(account.asn) : '', bankId: account?.bankId ?? '',
      bankAccount: account?.bankPan ? maskPan(account.bankPan) : '', amount: o.amount, rule: o.rule, createdAt: o.createdAt,
    };
  }));
  const runs = (await transfers.runs.all()).sort((a, b) => startOf(b).localeCompare(startOf(a)) || b.id.localeCompare(a.id)).slice(0, runLimit);
  return { orders, runs: await Promise.all(runs.map((r) => runView(transfers, r))), running: transfers.running };
}

/** One run with its transfers; TXN_UNKNOWN (the journal's refusal) when there is no such run. */
export async function runDetail(transfers: Source, runId: string): Promise<{ run: RunView; transfers: TransferView[] }> {
  const run = await transfers.runs.require(runId);
  const records = await transfers.transfers.all(runTransfersPrefix(runId));
  return { run: viewOf(run, records), transfers: records.map(transferView) };
}

async function runView(transfers: Source, run: RunRecord): Promise<RunView> {
  return viewOf(run, run.summary ? [] : await transfers.transfers.all(runTransfersPrefix(run.id)));
}

function viewOf(run: RunRecord, records: TransferRecord[]): RunView {
  const summary = run.summary ?? summarise(run, records);
  const ended = run.state === 'done' ? run.history.at(-1)?.at : undefined;
  return {
    id: run.id, date: run.date, by: run.by, state: run.state, startedAt: startOf(run), ...(ended ? { endedAt: ended } : {}),
    summary, sent: summary.planned - summary.notSent,
  };
}

const startOf = (r: RunRecord) => r.history[0]?.at ?? r.updatedAt;

function transferView(r: TransferRecord): TransferView {
  return {
    id: r.id, campusAccount: r.campusAccount, card: maskPan(r.asn), bankId: r.bankId, amount: r.amount, rule: r.rule, period: r.period, state: r.state,
    ...(r.stan !== undefined ? { stan: r.stan } : {}), ...(r.bankRef ? { bankRef: r.bankRef } : {}), ...(r.code ? { code: r.code } : {}),
    ...(r.responseCode ? { responseCode: r.responseCode } : {}), updatedAt: r.updatedAt,
  };
}
