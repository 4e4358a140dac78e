/** Paying a fee from the purse (缴费) in the flow registry. */
import { defineFlow } from '../flow.ts';
import { recoverFee } from './fee-flow.ts';
import { FEE_MACHINE, type FeeRecord, type FeeState } from './fee-machine.ts';

export const FEE_FLOW = defineFlow<FeeState, FeeRecord>({
  kind: 'fee',
  machine: FEE_MACHINE,
  recover: recoverFee,
  report: (r) => ({ ...(r.tac ? { tac: r.tac } : {}), ...(r.refundId ? { outcome: `refund ${r.refundId}` } : {}) }),
});
