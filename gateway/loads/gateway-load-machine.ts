/**
 * The gateway side of a load, as one explicit state machine. The state is journaled before each step it allows:
 * `bank-pending` before the transfer is sent, `reversing` before a reversal is sent. Its states, and what each means,
 * are those the API reports in `txn.status` (common/api/topics.ts): the transitions below must name every one of them.
 */
import type { MachineSpec, JournalRecord } from '../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../common/errors.ts';
import type { GatewayLoadState } from '../../common/api/topics.ts';
import { campusTime } from '../../common/campus-time.ts';
import type { IssuedCredit } from '../credits/credit-mac.ts';

export type { GatewayLoadState };

export const GATEWAY_LOAD_MACHINE: MachineSpec<GatewayLoadState> = {
  name: 'gateway load',
  transitions: {
    received: ['rejected', 'bank-pending'],
    'bank-pending': ['approved', 'declined', 'reversing'],
    approved: ['mac2-issued', 'reversing'],
    // A fresh MAC2 for the same debit keeps the state: the card proved (MAC1, same counter) the first never applied.
    'mac2-issued': ['mac2-issued', 'completed', 'tac-failed', 'reversing', 'pending-load'],
    reversing: ['reversed'],
    'pending-load': ['pending-load', 'completed', 'tac-failed'],
    rejected: [],
    declined: [],
    completed: [],
    'tac-failed': [],
    reversed: [],
  },
};

/** terminalId, oldBalance, random, hostDate and hostTime are those of the last MAC2 issued: the card's TAC covers them. */
export interface GatewayLoadRecord extends JournalRecord<GatewayLoadState>, IssuedCredit {
  kioskId: string;
  campusAccount: string;
  bankId?: string;
  /** How many fresh MAC2s were issued after the first (torn writes that did not apply). */
  recredits?: number;
  /** The kiosk that collected a pending load, when not the one that started it: it may confirm and ask about it. */
  collector?: string;
  stan?: number;
  bankRef?: string;
  mac2?: string;
  tac?: string;
  newBalance?: number;
  code?: ErrorCode;
  reversalReason?: '98' | '96' | 'A0' | '06';
  /** How the bank confirmed the reversal: `reversed` it undid the debit, `not-found` it never had the transfer. */
  reversalAnswer?: 'reversed' | 'not-found';
}

/** When a load's transfer was journaled as possibly sent (`bank-pending`); for one never sent, its last write. */
export const sentAt = (l: GatewayLoadRecord): string => l.history.find((h) => h.state === 'bank-pending')?.at ?? l.updatedAt;

/**
 * The business day of a load: the campus's date when its transfer was journaled as possibly sent. The one day a load
 * has: reconciliation's, the fleet's "loads today" and the console's transaction search.
 */
export function businessDay(load: GatewayLoadRecord, timeZone: string): string {
  return campusTime(new Date(sentAt(load)), timeZone).date;
}
