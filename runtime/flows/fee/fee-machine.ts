/**
 * The kiosk side of a fee paid from the purse (缴费), one explicit state machine. Each state names the furthest step
 * that may have been taken, journaled (synced) BEFORE that step: recovery knows what may have happened.
 */
import type { MachineSpec, JournalRecord } from '../../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../../common/errors.ts';

export type FeeState =
  /** Biller, account and amount chosen, nothing sent: no money can have moved. */
  | 'created'
  /** fee.begin may have reached the gateway: MAC1 may be issued. DEBIT FOR PURCHASE not sent. */
  | 'beginning'
  /** MAC1 journaled and DEBIT FOR PURCHASE may have reached the card: the card may be debited. */
  | 'debiting'
  /** The debit was sent and its answer is undecided: only the card's offline counter can tell (torn purchase). */
  | 'torn'
  /** TAC and MAC2 read: the card is debited; the gateway's fee.confirm (and the biller's payment) is owed. */
  | 'debited'
  /** The gateway paid the biller. */
  | 'completed'
  /** The biller was not paid: the gateway owes the amount back to the card (a pending credit, collected at a tap). */
  | 'refund-owed'
  /** The card paid; the biller has not answered a payment it may have applied: the gateway asks it again
   * until it does, and the fee ends paid, or its amount owed back and listed at a later tap. */
  | 'biller-pending'
  /** The card was not debited: the gateway is told, so its MAC1 is closed. */
  | 'abandoning'
  /** Ended with nothing moved (the card's counter or its refusal shows the debit did not apply). */
  | 'not-debited'
  /** Refused before DEBIT was sent (card, gateway or biller): nothing moved. */
  | 'declined'
  /** The card did not come back to decide a torn debit: its counter decides when an operator or a later tap reads it;
   * the gateway holds the fee at `mac1-issued`. */
  | 'undecided';

export const FEE_MACHINE: MachineSpec<FeeState> = {
  name: 'fee',
  transitions: {
    created: ['beginning', 'declined'],
    beginning: ['debiting', 'declined', 'abandoning'],
    debiting: ['debited', 'torn', 'abandoning'],
    torn: ['debited', 'abandoning', 'undecided'],
    debited: ['completed', 'refund-owed', 'biller-pending'],
    abandoning: ['not-debited'],
    completed: [],
    'refund-owed': [],
    'biller-pending': [],
    'not-debited': [],
    declined: [],
    undecided: [],
  },
};

/** What the journal keeps of a fee: no key, only what recovery, the report and the receipt need. */
export interface FeeRecord extends JournalRecord<FeeState> {
  kind: 'fee';
  billerId: string;
  /** The room or account at the biller. */
  account: string;
  amount: number;
  terminalId: string;
  /** The card's serial (hex): to find the same card again after a torn debit. */
  asn: string;
  cardBefore?: number;
  /** The card's offline counter before the debit: one more on the card means it applied. */
  offlineCounter?: number;
  mac1?: string;
  terminalTxSeq?: number;
  hostDate?: string;
  hostTime?: string;
  tac?: string;
  mac2?: string;
  cardAfter?: number;
  receiptNo?: string;
  refundId?: string;
  code?: ErrorCode;
}
