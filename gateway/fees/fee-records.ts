/**
 * A card's fees as 查询 lists them (gateway/queries/card-records.ts). Their refunds are owed credits of source
 * `fee-refund`, listed with every campus-funded credit (gateway/credits/credit-records.ts). Read by scanning, as the
 * loads are: no index on the money path.
 */
import type { RecordState } from '../../common/api/topics.ts';
import { maskPan } from '../../common/log.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { FlowRecords } from '../queries/card-records.ts';
import type { GatewayFeeRecord, GatewayFeeState } from './fee-machine.ts';

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

export async function feeRecords(fees: Pick<JournaledMachine<GatewayFeeState, GatewayFeeRecord>, 'all'>, asn: string): Promise<FlowRecords> {
  const card = maskPan(asn);
  // A fee refused before MAC1 was never journaled; one abandoned before fee.begin arrived has no card (asn '').
  const items: FlowRecords['items'] = (await fees.all()).filter((r) => r.asn.toUpperCase() === asn).map((r) => ({
    txnId: r.id, kind: 'fee', amount: r.amount, at: r.history[0]?.at ?? r.updatedAt, kioskId: r.kioskId, state: FEE_STATE[r.state], card,
  }));
  return { items, pending: [] };
}
