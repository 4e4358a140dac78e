/**
 * The machines of the batch transfer mode. A run (`gw/transfer-run/`) is planned, then sends, then is done; each
 * transfer of it (`gw/transfer/`) is its own record, journaled (synced) before each step it allows: `bank-pending`,
 * with the STAN reserved in the same batch, before the 0200 goes out; `reversing` before a 0400. A record that reached
 * `bank-pending` is never sent again: after a crash the reversal queue reverses it (gateway/saf/). The state names
 * the queue reads are the load machine's.
 */
import type { ErrorCode } from '../../common/errors.ts';
import type { JournalRecord, MachineSpec } from '../../common/store/journaled-machine.ts';
import type { ReversalReason } from '../bank/bank-link.ts';

export type TransferState =
  /** Journaled with its run's plan; nothing sent. */
  | 'planned'
  /** Its STAN reserved and the 0200 about to go or gone: only a reversal may follow an unknown outcome. */
  | 'bank-pending'
  /** The bank approved: provisional posting; the owed credit is written next. */
  | 'approved'
  /** The card is owed the amount (gateway/credits/, source `transfer`), written at its next tap. */
  | 'credit-owed'
  /** The bank refused it: nothing debited. */
  | 'declined'
  /** Not sent (the order was removed or its binding changed, or the bank could not be reached): due again at the next run. */
  | 'not-sent'
  | 'reversing'
  | 'reversed';

export const TRANSFER_MACHINE: MachineSpec<TransferState> = {
  name: 'standing transfer',
  transitions: {
    planned: ['bank-pending', 'not-sent'],
    'bank-pending': ['approved', 'declined', 'not-sent', 'reversing'],
    approved: ['credit-owed'],
    'credit-owed': [],
    declined: [],
    'not-sent': [],
    reversing: ['reversed'],
    reversed: [],
  },
};

export interface TransferRecord extends JournalRecord<TransferState> {
  runId: string;
  campusAccount: string;
  /** The card the credit is owed to. */
  asn: string;
  bankId: string;
  amount: number;
  /** The order's rule as written (`monthly:31`, `below:2000`) and the period it pays for: a month yyyy-mm or a day. */
  rule: string;
  period: string;
  stan?: number;
  bankRef?: string;
  code?: ErrorCode;
  /** The bank's response code of a decline. */
  responseCode?: string;
  reversalReason?: ReversalReason;
  reversalAnswer?: 'reversed' | 'not-found';
}

export type RunState = 'planning' | 'sending' | 'done';

export const RUN_MACHINE: MachineSpec<RunState> = {
  name: 'transfer run',
  transitions: { planning: ['sending'], sending: ['done'], done: [] },
};

/** Counts and fen of a run's transfers by outcome. */
export interface RunSummary {
  runId: string;
  date: string;
  planned: number;
  approved: { count: number; amount: number };
  declined: number;
  notSent: number;
  reversing: number;
  reversed: number;
}

export interface RunRecord extends JournalRecord<RunState> {
  /** The campus date (yyyy-mm-dd) the run worked out its due orders for. */
  date: string;
  by: string;
  summary?: RunSummary;
}

/** A transfer's id: its run's and its place in it, so a run's transfers are read by key range. */
export const transferId = (runId: string, seq: number) => `TR-${runId}-${String(seq).padStart(4, '0')}`;
export const runTransfersPrefix = (runId: string) => `TR-${runId}-`;
