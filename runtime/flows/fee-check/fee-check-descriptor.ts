/** Deciding a fee in doubt at a tap by the card's offline counter in the flow registry. */
import { defineFlow } from '../flow.ts';
import { recoverFeeCheck } from './fee-check-flow.ts';
import { FEE_CHECK_MACHINE, type FeeCheckRecord, type FeeCheckState } from './fee-check-machine.ts';

export const FEE_CHECK_FLOW = defineFlow<FeeCheckState, FeeCheckRecord>({
  kind: 'fee-check',
  machine: FEE_CHECK_MACHINE,
  recover: recoverFeeCheck,
  report: (r) => ({ feeId: r.feeId, ...(r.tac ? { tac: r.tac } : {}), ...(r.refundId ? { outcome: `refund ${r.refundId}` } : {}) }),
  // It prints nothing: a refund it leaves owed is written, with its receipt, by the collect flow.
  receipts: {},
});
