/**
 * The fee side of an owed credit: what a fee hands over when its debit must go back to the card. Kept this small so
 * the campus's general owed credits (sources load, subsidy, fee-refund, transfer) can take it over.
 */
import type { Op } from '../../common/store/durable-store.ts';

export interface FeeRefund {
  /** The owed credit's id: the pending id `card.lookup` lists and `load.recredit` / `load.confirm` name. */
  refundId: string;
  source: 'fee-refund';
  feeId: string;
  /** The kiosk the fee was paid at. */
  kioskId: string;
  asn: string;
  campusAccount: string;
  amount: number;
}

export interface OwedCredits {
  /** The writes that make the credit owed, batched with the fee's `refund-owed`. */
  owe(refund: FeeRefund): Op[];
}

export const refundIdOf = (feeId: string): string => `${feeId}-refund`;
