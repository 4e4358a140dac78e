/**
 * 查询: a card's campus records as the kiosk shows them to its holder — each load, and each pending load written onto
 * the card later (a collect), newest first, a page at a time, the card masked; and what the card is owed.
 *
 * It reads every load record, as the console's search does (transaction-search.ts): the journal is keyed by
 * transaction id only, and an index by card would be one more write on the money path.
 */
import type { OpRequest, OpResponse, RecordState } from '../../common/api/topics.ts';
import { maskPan } from '../../common/log.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../loads/gateway-load-machine.ts';

type QueryAnswer = OpResponse<'records.query'>;
type Item = QueryAnswer['items'][number];

/** Every gateway load state in the cardholder's terms; a new state does not compile until it is placed here. */
const LOAD_STATE: Record<GatewayLoadState, RecordState> = {
  received: 'in-progress',
  'bank-pending': 'in-progress',
  approved: 'in-progress',
  'mac2-issued': 'in-progress',
  reversing: 'in-progress',
  rejected: 'refused',
  declined: 'refused',
  completed: 'done',
  'tac-failed': 'held',
  reversed: 'reversed',
  'pending-load': 'owed',
};

/** Another flow's records of a card (fees...), and what that flow owes the card. */
export interface FlowRecords {
  items: Item[];
  pending: QueryAnswer['pending'];
}

export interface CardRecordsSource {
  loads: { all(): Promise<GatewayLoadRecord[]> };
  /** The card's loads waiting as pending loads (圈存未领), as card.lookup lists them. */
  pendingLoads(asn: string): Promise<GatewayLoadRecord[]>;
  /** The other flows' records of the card, listed and paged with the loads. */
  others?: ReadonlyArray<(asn: string) => Promise<FlowRecords>>;
}

/** A load's records: the load itself, and its collect when it waited as a pending load and was then written. */
export function loadItems(record: GatewayLoadRecord): Item[] {
  const card = maskPan(record.asn);
  const started = record.history[0]?.at ?? record.updatedAt;
  const items: Item[] = [{ txnId: record.id, kind: 'load', amount: record.amount, at: started, kioskId: record.kioskId, state: LOAD_STATE[record.state], card }];
  const waited = record.history.some((h) => h.state === 'pending-load');
  if (waited && (record.state === 'completed' || record.state === 'tac-failed')) {
    items.push({
      txnId: record.id, kind: 'collect', amount: record.amount, at: record.history.at(-1)!.at,
      kioskId: record.collector ?? record.kioskId, state: LOAD_STATE[record.state], card,
    });
  }
  return items;
}

export async function cardRecords(source: CardRecordsSource, req: OpRequest<'records.query'>): Promise<QueryAnswer> {
  const asn = req.asn.toUpperCase();
  const others = await Promise.all((source.others ?? []).map((records) => records(asn)));
  const items = [...(await source.loads.all()).filter((r) => r.asn.toUpperCase() === asn).flatMap(loadItems), ...others.flatMap((o) => o.items)];
  // Newest first; a collect before its own load should both carry the same instant (a load written within its millisecond).
  items.sort((a, b) => b.at.localeCompare(a.at) || b.txnId.localeCompare(a.txnId) || Number(b.kind === 'collect') - Number(a.kind === 'collect'));
  const from = (req.page - 1) * req.pageSize;
  const pending = [...(await source.pendingLoads(asn)).map((r) => ({
    txnId: r.id, kind: 'load' as const, amount: r.amount, since: r.history.find((h) => h.state === 'pending-load')?.at ?? r.updatedAt, kioskId: r.kioskId,
  })), ...others.flatMap((o) => o.pending)];
  return { total: items.length, page: req.page, pageSize: req.pageSize, items: items.slice(from, from + req.pageSize), pending };
}
