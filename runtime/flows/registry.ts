/**
 * Every kiosk money flow, once. The journal opens a machine for each, the kiosk recovers each flow's unfinished
 * records in this order, the outbox reports their final states and the chaos harness checks and kills at their states.
 */
import { COLLECT_FLOW } from './collect/collect-descriptor.ts';
import type { KioskFlow } from './flow.ts';
import { FEE_FLOW } from './fee/fee-descriptor.ts';
import { FEE_CHECK_FLOW } from './fee-check/fee-check-descriptor.ts';
import { LOAD_FLOW } from './load/load-descriptor.ts';

export const FLOWS: readonly KioskFlow[] = [LOAD_FLOW, COLLECT_FLOW, FEE_FLOW, FEE_CHECK_FLOW];
