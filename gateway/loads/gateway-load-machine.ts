/**
 * The gateway side of a load, as one explicit state machine. The state is journaled before each step it allows:
 * `bank-pending` before the transfer is sent, `reversing` before a reversal is sent.
 */
import type { MachineSpec, JournalRecord } from '../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../common/errors.ts';

export type GatewayLoadState =
  /** Request taken in; nothing sent to the bank. */
  | 'received'
  /** Refused before the bank was asked (unknown card, not bound, MAC1, limits). */
  | 'rejected'
  /** The transfer may have reached the bank. */
  | 'bank-pending'
  /** The bank refused: nothing debited. */
  | 'declined'
  /** The bank debited; provisional posting made. */
  | 'approved'
  /** MAC2 handed to the kiosk: the card may credit itself from here on. Again on a fresh MAC2 (`load.recredit`). */
  | 'mac2-issued'
  /** The TAC verified; final posting made. */
  | 'completed'
  /** The card answered with a TAC that does not verify: held for an operator. */
  | 'tac-failed'
  /** The transfer's outcome is unknown (no answer, late answer, bad MAC) or must be undone: a reversal is owed. */
  | 'reversing'
  /** The bank confirmed the reversal. */
  | 'reversed'
  /** The card could not be written: the amount waits in the campus account (圈存未领) for any kiosk to write it. */
  | 'pending-load';

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

export interface GatewayLoadRecord extends JournalRecord<GatewayLoadState> {
  kioskId: string;
  campusAccount: string;
  bankId?: string;
  asn: string;
  amount: number;
  /** terminalId, oldBalance and random are those of the last MAC2 issued: the card's TAC covers them. */
  terminalId: string;
  oldBalance: number;
  onlineCounter: number;
  random: string;
  /** How many fresh MAC2s were issued after the first (torn writes that did not apply). */
  recredits?: number;
  /** The kiosk that collected a pending load, when not the one that started it: it may confirm and ask about it. */
  collector?: string;
  stan?: number;
  bankRef?: string;
  hostDate?: string;
  hostTime?: string;
  mac2?: string;
  tac?: string;
  newBalance?: number;
  code?: ErrorCode;
  reversalReason?: '98' | '96' | 'A0' | '06';
  /** How the bank confirmed the reversal: `reversed` it undid the debit, `not-found` it never had the transfer. */
  reversalAnswer?: 'reversed' | 'not-found';
}
