/**
 * Which journal states the kiosk reports, and what it says: a load's final outcome, once, as a `txn` event with the
 * card's TAC when there is one. Hooked into the load machine so the report is written in the batch of that state.
 */
import { isFinal } from '../../common/store/journaled-machine.ts';
import type { Op } from '../../common/store/durable-store.ts';
import { LOAD_MACHINE, type LoadRecord } from '../flows/load/load-machine.ts';
import type { Outbox } from './outbox.ts';

export function reportLoadOutcome(outbox: Outbox): (record: LoadRecord) => Op[] {
  return (record) => {
    if (!isFinal(LOAD_MACHINE, record.state)) return [];
    return [outbox.appendOp('txn', {
      txnId: record.id,
      kind: 'load',
      state: record.state,
      amount: record.amount,
      at: record.updatedAt,
      ...(record.code ? { code: record.code } : {}),
      ...(record.tac ? { tac: record.tac } : {}),
      ...(record.outcome ? { outcome: record.outcome } : {}),
    })];
  };
}
