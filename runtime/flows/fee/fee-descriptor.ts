/** Paying a fee from the purse (缴费) in the flow registry. */
import type { ReceiptWords } from '../../../hal/printer/receipt.ts';
import { defineFlow } from '../flow.ts';
import { recoverFee } from './fee-flow.ts';
import { FEE_MACHINE, type FeeRecord, type FeeState } from './fee-machine.ts';

/** What its receipts call the operation. */
export const FEE_RECEIPTS = {
  fee: { zh: { title: '缴费凭条', operation: '缴费', amount: '缴费金额' }, en: { title: 'FEE RECEIPT', operation: 'Fee', amount: 'Paid' } },
} as const satisfies Record<string, ReceiptWords>;

export const FEE_FLOW = defineFlow<FeeState, FeeRecord>({
  kind: 'fee',
  machine: FEE_MACHINE,
  recover: recoverFee,
  report: (r) => ({ ...(r.tac ? { tac: r.tac } : {}), ...(r.refundId ? { outcome: `refund ${r.refundId}` } : {}) }),
  receipts: FEE_RECEIPTS,
});
