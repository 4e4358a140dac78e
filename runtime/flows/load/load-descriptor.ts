/** The bank-to-card load (圈存) in the flow registry. */
import type { ReceiptWords } from '../../../hal/printer/receipt.ts';
import { defineFlow } from '../flow.ts';
import { recoverLoad } from './load-recovery.ts';
import { LOAD_MACHINE, type LoadRecord, type LoadState } from './load-machine.ts';

/** What its receipts call the operation. */
export const LOAD_RECEIPTS = {
  load: { zh: { title: '圈存凭条', operation: '圈存', amount: '圈存金额' }, en: { title: 'LOAD RECEIPT', operation: 'Load', amount: 'Amount' } },
} as const satisfies Record<string, ReceiptWords>;

export const LOAD_FLOW = defineFlow<LoadState, LoadRecord>({
  kind: 'load',
  machine: LOAD_MACHINE,
  recover: recoverLoad,
  // The TAC when the card was credited; for an abandoned load, what the gateway said became of the money.
  report: (r) => ({ ...(r.tac ? { tac: r.tac } : {}), ...(r.outcome ? { outcome: r.outcome } : {}) }),
  receipts: LOAD_RECEIPTS,
});
