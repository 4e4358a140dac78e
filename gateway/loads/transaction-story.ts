/**
 * One load's whole story for an operator: the gateway's states with their times (the journaled machine's history),
 * what the kiosks reported of it (the starting kiosk's outcome; a collect's, at whichever kiosk, for a pending
 * load), its ledger posting, the ISO 8583 messages with the bank (masked when they were kept) and the settlement
 * batch that counted it.
 */
import type { TxnReport } from '../events/txn-reports.ts';
import type { IsoEntry } from '../bank/iso-journal.ts';
import type { Posting } from '../ledger/campus-ledger.ts';
import type { SettlementRecord } from '../settlement/settlement-service.ts';
import type { GatewayLoadRecord } from './gateway-load-machine.ts';
import type { TxnSummary } from './transaction-search.ts';

export interface TxnStory {
  summary: TxnSummary;
  gateway: {
    history: GatewayLoadRecord['history'];
    hostDate?: string;
    hostTime?: string;
    recredits?: number;
    reversalReason?: string;
    reversalAnswer?: string;
  };
  kiosk: TxnReport[];
  /** The load's posting as it stands (provisional, final, pending or reversed); absent before the bank approved. */
  posting: Posting | null;
  bank: IsoEntry[];
  settlement: { id: string; batch: number; state: string } | null;
}

export interface StorySource {
  reports: { get(kioskId: string, txnId: string): Promise<TxnReport | undefined>; all(kioskId: string): Promise<TxnReport[]> };
  posting(txnId: string): Promise<Posting | undefined>;
  isoMessages(txnId: string): Promise<IsoEntry[]>;
  settlements(): Promise<SettlementRecord[]>;
}

/**
 * What kiosks reported of a transaction: its own kiosk's outcome, and each collect of the credit it left owed
 * (`owed.pendingId`) at any of `owed.kioskIds` — a collect is reported under the collecting kiosk's own transaction id,
 * naming the credit as its pendingId. Oldest first.
 */
export async function kioskReports(
  reports: StorySource['reports'], own: { kioskId: string; txnId: string }, owed?: { pendingId: string; kioskIds: string[] },
): Promise<TxnReport[]> {
  const mine = await reports.get(own.kioskId, own.txnId);
  const collects = owed
    ? (await Promise.all([...new Set(owed.kioskIds)].map((k) => reports.all(k)))).flat().filter((r) => r.event.pendingId === owed.pendingId)
    : [];
  return [...(mine ? [mine] : []), ...collects].sort((a, b) => a.seq - b.seq);
}

export async function storyOf(source: StorySource, record: GatewayLoadRecord, summary: TxnSummary): Promise<TxnStory> {
  const parked = record.history.some((h) => h.state === 'pending-load');
  const kiosk = await kioskReports(source.reports, { kioskId: record.kioskId, txnId: record.id },
    parked ? { pendingId: record.id, kioskIds: [record.kioskId, record.collector ?? record.kioskId] } : undefined);
  const settled = (await source.settlements()).find((s) => s.txnIds.includes(record.id));
  const { hostDate, hostTime, recredits, reversalReason, reversalAnswer } = record;
  return {
    summary,
    gateway: {
      history: record.history,
      ...(hostDate ? { hostDate } : {}), ...(hostTime ? { hostTime } : {}), ...(recredits ? { recredits } : {}),
      ...(reversalReason ? { reversalReason } : {}), ...(reversalAnswer ? { reversalAnswer } : {}),
    },
    kiosk,
    posting: (await source.posting(record.id)) ?? null,
    bank: await source.isoMessages(record.id),
    settlement: settled ? { id: settled.id, batch: settled.batch, state: settled.state } : null,
  };
}
