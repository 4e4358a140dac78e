/** The bank-to-card load (圈存) in the flow registry. */
import { defineFlow } from '../flow.ts';
import { recoverLoad } from './load-recovery.ts';
import { LOAD_MACHINE, type LoadRecord, type LoadState } from './load-machine.ts';

export const LOAD_FLOW = defineFlow<LoadState, LoadRecord>({
  kind: 'load',
  machine: LOAD_MACHINE,
  recover: recoverLoad,
  // The TAC when the card was credited; for an abandoned load, what the gateway said became of the money.
  report: (r) => ({ ...(r.tac ? { tac: r.tac } : {}), ...(r.outcome ? { outcome: r.outcome } : {}) }),
});
