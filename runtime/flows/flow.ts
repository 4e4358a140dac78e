/**
 * One kiosk money flow as the rest of the kiosk sees it: the journal keeps its records under `txn/<kind>/` with its
 * machine, the outbox reports its final states as `txn` events, the kiosk brings its unfinished records to an end at
 * every (re)connection, the chaos harness checks and kills at its states, and its receipts name the operation in its
 * words. A new flow is one folder exporting one descriptor, listed once in registry.ts.
 */
import type { EventPayload } from '../../common/api/topics.ts';
import type { ErrorCode } from '../../common/errors.ts';
import type { ReceiptWords } from '../../hal/printer/receipt.ts';
import type { JournalRecord, MachineSpec } from '../../common/store/journaled-machine.ts';
import type { KioskJournal } from '../journal/kiosk-journal.ts';
import type { KioskLink } from '../link/kiosk-link.ts';

export type TxnEvent = EventPayload<'txn'>;
export type FlowKind = TxnEvent['kind'];

/** What every flow's record has: the report and the summary read these. */
export interface FlowRecord<S extends string = string> extends JournalRecord<S> {
  kind: FlowKind;
  amount: number;
  code?: ErrorCode;
}

/** What recovery runs with: no card is on the reader, the gateway's journal is the other witness. */
export interface RecoveryContext {
  link: KioskLink;
  journal: KioskJournal;
}

export interface KioskFlow<S extends string = string, R extends FlowRecord<S> = FlowRecord<S>> {
  kind: R['kind'];
  machine: MachineSpec<S>;
  /**
   * Brings an unfinished record to a definite end (or leaves it for the next try by throwing), without the card:
   * never a money step repeated blindly, and a card write that was sent stays undecided until the card decides.
   */
  recover(ctx: RecoveryContext, record: R): Promise<R>;
  /** The flow's own fields of its final outcome's `txn` event, beside id, kind, state, amount, time and code. */
  report(record: R): Partial<TxnEvent>;
  /** What its receipts call the operation, by name (a flow may print several kinds, or none). */
  receipts: Readonly<Record<string, ReceiptWords>>;
}

/** Where the journal keeps a flow's records. */
export const journalPrefix = (kind: FlowKind): string => `txn/${kind}`;

/** A descriptor with its record type checked where it is written, then listed with the others. */
export const defineFlow = <S extends string, R extends FlowRecord<S>>(flow: KioskFlow<S, R>): KioskFlow<S, R> => flow;
