/** What the result and receipt screens say about a fee, from the flow's outcome: pure mappings. */
import type { Receipt } from '../../hal/printer/receipt.ts';
import type { ResultInfo } from '../../screens/view-model.ts';
import type { CardSession } from '../flows/card-session.ts';
import { collected, type CollectOutcome } from '../flows/collect/collect-flow.ts';
import type { FeeOutcome } from '../flows/fee/fee-flow.ts';
import { FEE_RECEIPTS } from '../flows/fee/fee-descriptor.ts';
import { billerLabel } from './fee-entry.ts';
import { receiptAt, type ReceiptPlace } from './load-result.ts';

export type FeeEnd = FeeOutcome & { refund?: CollectOutcome };

export function feeResult(outcome: FeeEnd): ResultInfo {
  const ok = outcome.state === 'completed';
  const refunded = outcome.refund && collected(outcome.refund) ? outcome.refund : undefined;
  // Where the money is, not why the biller failed, is what the cardholder must know: back on the card now, or at
  // the next tap.
  const code = ok ? undefined : outcome.state === 'refund-owed' ? (refunded ? 'FEE_REFUNDED' : 'FEE_REFUND_OWED')
    : outcome.state === 'biller-pending' ? 'FEE_PAYMENT_PENDING' : (outcome.code ?? 'INTERNAL');
  // A torn debit the card did not decide has no balance to show rather than a guess.
  const balance = refunded ? refunded.cardAfter : outcome.state === 'undecided' || outcome.state === 'torn' ? undefined : (outcome.cardAfter ?? outcome.cardBefore);
  return {
    ok, operation: 'fee', amount: outcome.amount, reference: outcome.txnId,
    ...(balance === undefined ? {} : { newBalance: balance }), ...(code ? { code } : {}),
  };
}

export function feeReceipt(outcome: FeeEnd, session: CardSession, where: ReceiptPlace): Receipt {
  return receiptAt(where, session, {
    txnRef: outcome.txnId, wording: FEE_RECEIPTS.fee, amountFen: outcome.amount, balanceAfterFen: outcome.cardAfter!,
    biller: `${billerLabel(outcome.billerId).zh} ${outcome.account}`, ...(outcome.receiptNo ? { billerRef: outcome.receiptNo } : {}),
  });
}
