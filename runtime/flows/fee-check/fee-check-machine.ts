/**
 * Deciding at a tap a fee in doubt (`card.lookup` `feesInDoubt`): a purchase whose DEBIT was sent, at this kiosk or
 * another, and whose card did not come back in time to say whether it applied. The card's offline counter decides, as
 * for a torn purchase at its own kiosk (fee/torn-fee.ts). One record per fee per tap, journaled (synced) before each
 * step it allows; the fee itself stays the gateway's (and its own kiosk's record stays `undecided`).
 */
import type { MachineSpec, JournalRecord } from '../../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../../common/errors.ts';

export type FeeCheckState =
  /** The card's offline counter (and proof) being read: nothing that moves money has been sent. */
  | 'checking'
  /** The card's proof of the debit (MAC2, TAC) journaled: `fee.confirm` may have reached the gateway, which pays the biller. */
  | 'confirming'
  /** The card's counter is the one the purchase began from: `fee.abandon` may have reached the gateway. */
  | 'abandoning'
  /** The debit applied and the gateway paid the biller. */
  | 'paid'
  /** The debit applied and the biller was not paid: the gateway owes the amount back (a `fee-refund` credit). */
  | 'refund-owed'
  /** The debit applied and the biller has not answered a payment it may have applied: the gateway asks it again
   * until it does, and the fee ends paid, or its amount owed back and listed at a later tap. */
  | 'biller-pending'
  /** The debit never applied: the fee ended with nothing moved. */
  | 'not-debited'
  /** The gateway refused the decision (the card's proof does not verify, the fee moved on): for an operator. */
  | 'held'
  /** Not decided at this tap (card taken away, counter moved on by later purchases): the gateway still holds the fee
   * in doubt; the next tap decides again, or an operator when the card cannot. */
  | 'not-decided';

export const FEE_CHECK_MACHINE: MachineSpec<FeeCheckState> = {
  name: 'fee-check',
  transitions: {
    checking: ['confirming', 'abandoning', 'not-decided'],
    confirming: ['paid', 'refund-owed', 'biller-pending', 'held'],
    abandoning: ['not-debited', 'held'],
    paid: [],
    'refund-owed': [],
    'biller-pending': [],
    'not-debited': [],
    held: [],
    'not-decided': [],
  },
};

export interface FeeCheckRecord extends JournalRecord<FeeCheckState> {
  kind: 'fee-check';
  /** The gateway's id of the fee decided (numbered by the kiosk that began it). */
  feeId: string;
  billerId: string;
  amount: number;
  terminalId: string;
  asn: string;
  /** The card's offline counter the purchase began from, as the gateway listed it. */
  offlineCounter: number;
  tac?: string;
  mac2?: string;
  receiptNo?: string;
  refundId?: string;
  code?: ErrorCode;
}
