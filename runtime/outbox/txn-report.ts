/**
 * Which journal states the kiosk reports, and what it says: a transaction's final outcome, once, as a `txn` event
 * with the card's TAC when there is one. Hooked into a flow's machine so the report is written in that state's batch.
 */
import type { ErrorCode } from '../../common/errors.ts';
import { isFinal, type JournalRecord, type MachineSpec } from '../../common/store/journaled-machine.ts';
import type { Op } from '../../common/store/durable-store.ts';
import type { Outbox } from './outbox.ts';

/** What loads, collects (writing a pending load onto the card) and fees have in common for a report. */
interface Reportable<S extends string> extends JournalRecord<S> {
  kind: 'load' | 'collect' | 'fee';
  amount: number;
  code?: ErrorCode;
  tac?: string;
  /** Loads: what the gateway said became of an abandoned load's money. */
  outcome?: string;
  /** Collects: the load whose amount was written. */
  pendingId?: string;
}

export function reportFinalOutcome<S extends string, R extends Reportable<S>>(outbox: Outbox, spec: MachineSpec<S>): (record: R) => Op[] {
  return (record) => {
    if (!isFinal(spec, record.state)) return [];
    return [outbox.appendOp('txn', {
      txnId: record.id,
      kind: record.kind,
      state: record.state,
      amount: record.amount,
      at: record.updatedAt,
      ...(record.code ? { code: record.code } : {}),
      ...(record.tac ? { tac: record.tac } : {}),
      ...(record.outcome ? { outcome: record.outcome } : {}),
      ...(record.pendingId ? { pendingId: record.pendingId } : {}),
    })];
  };
}
