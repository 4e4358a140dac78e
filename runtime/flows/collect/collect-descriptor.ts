/** Collecting an owed credit (领款, 补助领取) in the flow registry. */
import { defineFlow } from '../flow.ts';
import { recoverCollect } from './collect-flow.ts';
import { COLLECT_MACHINE, type CollectRecord, type CollectState } from './collect-machine.ts';

export const COLLECT_FLOW = defineFlow<CollectState, CollectRecord>({
  kind: 'collect',
  machine: COLLECT_MACHINE,
  recover: recoverCollect,
  report: (r) => ({ pendingId: r.pendingId, ...(r.source ? { source: r.source } : {}), ...(r.tac ? { tac: r.tac } : {}) }),
});
