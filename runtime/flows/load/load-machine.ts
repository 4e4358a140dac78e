/**
 * The kiosk side of a bank-to-card load (圈存), as one explicit state machine. Each state names the furthest step
 * that may have been taken; it is journaled (synced) BEFORE that step, so recovery knows what may have happened.
 */
import type { MachineSpec, JournalRecord } from '../../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../../common/errors.ts';

export type LoadState =
  /** Amount and encrypted PIN taken, nothing sent: no money can have moved. */
  | 'created'
  /** load.authorize may have reached the gateway: the bank may have debited. */
  | 'authorizing'
  /** MAC2 received: the bank debited, the card is not yet touched. */
  | 'authorized'
  /** CREDIT FOR LOAD may have reached the card: the card may be credited. */
  | 'crediting'
  /** TAC read: the card is credited; the gateway's final posting is owed. */
  | 'credited'
  /** The gateway verified the TAC and posted finally. */
  | 'completed'
  /** Refused before any debit (bank decline, wrong PIN, MAC1, limits): no money moved. */
  | 'declined'
  /** The card left before the credit was sent; the gateway is asked to undo the debit. */
  | 'abandoning'
  /** The gateway answered the abandon: not debited, reversed, or reversal queued. */
  | 'abandoned'
  /** The credit was sent and its answer lost: only the card's online counter can tell (torn write). The kiosk asks
   * for the same card back: applied → `credited` (TAC by GET TRANSACTION PROVE); not → `crediting` with a fresh MAC2. */
  | 'torn'
  /** The card did not come back: the gateway holds the amount as a pending load (圈存未领) for its next tap anywhere. */
  | 'pending-load';

export const LOAD_MACHINE: MachineSpec<LoadState> = {
  name: 'load',
  transitions: {
    created: ['authorizing', 'declined', 'abandoned'],
    authorizing: ['authorized', 'declined', 'abandoning'],
    authorized: ['crediting', 'abandoning'],
    crediting: ['credited', 'torn', 'abandoning'],
    credited: ['completed'],
    torn: ['crediting', 'credited', 'pending-load'],
    abandoning: ['abandoned'],
    completed: [],
    declined: [],
    abandoned: [],
    'pending-load': [],
  },
};

/** What the journal keeps of a load. No PIN block, no bank card number, no key: only what recovery needs. */
export interface LoadRecord extends JournalRecord<LoadState> {
  kind: 'load';
  amount: number;
  terminalId: string;
  /** The card's application serial (ASN, hex): needed to find the same card again after a torn write. */
  asn: string;
  cardBefore?: number;
  onlineCounter?: number;
  mac2?: string;
  hostDate?: string;
  hostTime?: string;
  bankRef?: string;
  tac?: string;
  cardAfter?: number;
  tacVerified?: boolean;
  code?: ErrorCode;
  outcome?: string;
}
