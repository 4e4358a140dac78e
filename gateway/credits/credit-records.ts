/**
 * A card's campus-funded credits as 查询 lists them (gateway/queries/card-records.ts), whatever their source: each one
 * the card holds (or whose TAC is held for an operator) as a record of its source's kind, at the kiosk that wrote it;
 * and the ones still owed, as `card.lookup` offers them. Read by scanning, as the loads are: no index on the money path.
 */
import type { RecordState } from '../../common/api/topics.ts';
import { maskPan } from '../../common/log.ts';
import type { FlowRecords } from '../queries/card-records.ts';
import type { CampusCreditState, CampusCredits } from './campus-credits.ts';

/**
 * Every credit state in the cardholder's terms; `null`: not a record of the card (owed ones are in `pending`; an
 * expired one never reached the card and went back to the campus). A new state does not compile until it is placed here.
 */
const CREDIT_STATE: Record<CampusCreditState, RecordState | null> = {
  owed: null,
  'mac2-issued': null,
  completed: 'done',
  'tac-failed': 'held',
  expired: null,
};

export async function creditRecords(credits: Pick<CampusCredits, 'credits' | 'open'>, asn: string): Promise<FlowRecords> {
  const card = maskPan(asn);
  const items: FlowRecords['items'] = [];
  for (const r of await credits.credits.all()) {
    const state = CREDIT_STATE[r.state];
    if (state === null || r.asn.toUpperCase() !== asn) continue;
    // A credit leaves `owed` only at a kiosk's recredit, which names the collector.
    items.push({ txnId: r.id, kind: r.source, amount: r.amount, at: r.updatedAt, kioskId: r.collector!, state, card });
  }
  const pending = (await credits.open(asn)).map((r) => ({
    txnId: r.id, kind: r.source, amount: r.amount, since: r.history[0]?.at ?? r.updatedAt, ...(r.kioskId ? { kioskId: r.kioskId } : {}),
  }));
  return { items, pending };
}
