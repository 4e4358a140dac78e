/**
 * The gateway's state machine of a fee paid from the purse (缴费). Each state is journaled (synced) before the step it
 * allows: MAC1 leaves only once `mac1-issued` is on disk; the biller is called only once `paying` is; the posting
 * purse -> biller is written in the same batch as `debited`, and turned final or undone with `paid` or `refund-owed`.
 */
import type { MachineSpec, JournalRecord } from '../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../common/errors.ts';
import type { GatewayFeeState } from '../../common/api/topics.ts';

export type { GatewayFeeState };

export const GATEWAY_FEE_MACHINE: MachineSpec<GatewayFeeState> = {
  name: 'gateway-fee',
  transitions: {
    'mac1-issued': ['debited', 'not-debited', 'proof-failed'],
    'not-debited': [],
    debited: ['paying'],
    // paying -> paying: one more try with the same payment id.
    paying: ['paying', 'paid', 'refund-owed'],
    paid: [],
    'refund-owed': [],
    'proof-failed': [],
  },
};

export interface GatewayFeeRecord extends JournalRecord<GatewayFeeState> {
  kioskId: string;
  campusAccount: string;
  asn: string;
  billerId: string;
  /** The room or account at the biller. */
  account: string;
  amount: number;
  terminalId: string;
  /** What MAC1 covers: the card's INITIALIZE FOR PURCHASE and the PSAM's sequence, date and time. */
  offlineCounter: number;
  random: string;
  terminalTxSeq: number;
  hostDate: string;
  hostTime: string;
  mac1: string;
  tac?: string;
  mac2?: string;
  /** Payment tries made (each journaled as `paying` before it is sent). */
  payTries?: number;
  receiptNo?: string;
  /**
   * Another kiosk than the fee's that decided it at a tap of its card (`card.lookup` listed it in doubt there),
   * journaled with the decision: that kiosk may repeat its confirm or abandon.
   */
  decidedBy?: string;
  /** The owed credit that brings the amount back, when the biller was not paid. */
  refundId?: string;
  code?: ErrorCode;
}
