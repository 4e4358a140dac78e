/**
 * A card's fees and fee refunds as 查询 lists them (gateway/queries/card-records.ts): each fee, each refund written
 * back, and the refunds the card is still owed. Read by scanning, as the loads are: no index on the money path.
 */
import type { RecordState } from '../../common/api/topics.ts';
import { maskPan } from '../../common/log.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { FlowRecords } from '../queries/card-records.ts';
import type { GatewayFeeRecord, GatewayFeeState } from './fee-machine.ts';
import type { FeeRefundRecord } from './fee-refunds.ts';

/** Every gateway fee state in the cardholder's terms; a new state does not compile until it is placed here. */
const FEE_STATE: Record<GatewayFeeState, RecordState> = {
  'mac1-issued': 'in-progress',
  debited: 'in-progress',
  paying: 'in-progress',
  paid: 'done',
  'not-debited': 'refused',
  // The biller was not paid: the amount comes back as its `fee-refund`.
  'refund-owed': 'refused',
  'proof-failed': 'held',
};

export async function feeRecords(
  fees: Pick<JournaledMachine<GatewayFeeState, GatewayFeeRecord>, 'all'>, refunds: Pick<JournaledMachine<string, FeeRefundRecord>, 'all'>, asn: string,
): Promise<FlowRecords> {
  const card = maskPan(asn);
  const own = <R extends { asn: string }>(records: R[]) => records.filter((r) => r.asn.toUpperCase() === asn);
  // A fee refused before MAC1 was never journaled; one abandoned before fee.begin arrived has no card (asn '').
  const items: FlowRecords['items'] = own(await fees.all()).map((r) => ({
    txnId: r.id, kind: 'fee', amount: r.amount, at: r.history[0]?.at ?? r.updatedAt, kioskId: r.kioskId, state: FEE_STATE[r.state], card,
  }));
  const pending: FlowRecords['pending'] = [];
  for (const r of own(await refunds.all())) {
    if (r.state === 'owed') pending.push({ txnId: r.id, kind: 'fee-refund', amount: r.amount, since: r.history[0]?.at ?? r.updatedAt, kioskId: r.kioskId });
    else items.push({ txnId: r.id, kind: 'fee-refund', amount: r.amount, at: r.updatedAt, kioskId: r.collector ?? r.kioskId, state: r.state === 'credited' ? 'done' : 'held', card });
  }
  return { items, pending };
}
