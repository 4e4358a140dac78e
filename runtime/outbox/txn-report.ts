/**
 * Which journal states the kiosk reports, and what it says: a transaction's final outcome, once, as a `txn` event
 * with the card's TAC when there is one. Hooked into a flow's machine so the report is written in that state's batch.
 */
import { isFinal } from '../../common/store/journaled-machine.ts';
import type { Op } from '../../common/store/durable-store.ts';
import type { FlowRecord, KioskFlow } from '../flows/flow.ts';
import type { Outbox } from './outbox.ts';

export function reportFinalOutcome<S extends string, R extends FlowRecord<S>>(outbox: Outbox, flow: KioskFlow<S, R>): (record: R) => Op[] {
  return (record) => {
    if (!isFinal(flow.machine, record.state)) return [];
    return [outbox.appendOp('txn', {
      txnId: record.id,
      kind: record.kind,
      state: record.state,
      amount: record.amount,
      at: record.updatedAt,
      ...(record.code ? { code: record.code } : {}),
      ...flow.report(record),
    })];
  };
}
