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

export async function storyOf(source: StorySource, record: GatewayLoadRecord, summary: TxnSummary): Promise<TxnStory> {
  const own = await source.reports.get(record.kioskId, record.id);
  // A pending load is collected under the collecting kiosk's own transaction id, which names this one as pendingId.
  const collects = record.history.some((h) => h.state === 'pending-load')
    ? (await Promise.all([...new Set([record.kioskId, record.collector ?? record.kioskId])].map((k) => source.reports.all(k))))
      .flat().filter((r) => r.event.pendingId === record.id)
    : [];
  const settled = (await source.settlements()).find((s) => s.txnIds.includes(record.id));
  const { hostDate, hostTime, recredits, reversalReason, reversalAnswer } = record;
  return {
    summary,
    gateway: {
      history: record.history,
      ...(hostDate ? { hostDate } : {}), ...(hostTime ? { hostTime } : {}), ...(recredits ? { recredits } : {}),
      ...(reversalReason ? { reversalReason } : {}), ...(reversalAnswer ? { reversalAnswer } : {}),
    },
    kiosk: [...(own ? [own] : []), ...collects].sort((a, b) => a.seq - b.seq),
    posting: (await source.posting(record.id)) ?? null,
    bank: await source.isoMessages(record.id),
    settlement: settled ? { id: settled.id, batch: settled.batch, state: settled.state } : null,
  };
}
