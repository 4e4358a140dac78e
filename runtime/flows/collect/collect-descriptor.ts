/** Collecting an owed credit (领款, 补助领取) in the flow registry. */
import type { ReceiptWords } from '../../../hal/printer/receipt.ts';
import { defineFlow } from '../flow.ts';
import { recoverCollect } from './collect-flow.ts';
import { COLLECT_MACHINE, type CollectRecord, type CollectState } from './collect-machine.ts';

/** What its receipts call the operation: 补助领取 when a tap wrote only subsidies, 领款 otherwise (runtime/ui/load-result.ts collectOperation). */
export const COLLECT_RECEIPTS = {
  collect: { zh: { title: '领款凭条', operation: '领款', amount: '领取金额' }, en: { title: 'COLLECTION RECEIPT', operation: 'Collection', amount: 'Amount' } },
  subsidy: { zh: { title: '补助领取凭条', operation: '补助领取', amount: '补助金额' }, en: { title: 'SUBSIDY RECEIPT', operation: 'Subsidy', amount: 'Subsidy' } },
} as const satisfies Record<string, ReceiptWords>;

export const COLLECT_FLOW = defineFlow<CollectState, CollectRecord>({
  kind: 'collect',
  machine: COLLECT_MACHINE,
  recover: recoverCollect,
  report: (r) => ({ pendingId: r.pendingId, ...(r.source ? { source: r.source } : {}), ...(r.tac ? { tac: r.tac } : {}) }),
  receipts: COLLECT_RECEIPTS,
});
