/**
 * Collecting a pending load (领款 / 补写): writing onto the card an amount the gateway holds for it (圈存未领) because
 * an earlier credit tore and the card did not come back. One record per owed load per tap, journaled (synced) before
 * each step it allows. The bank is never involved: the debit was made once, by the load that tore.
 */
import type { MachineSpec, JournalRecord } from '../../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../../common/errors.ts';
import type { CreditSource } from '../../../common/api/topics.ts';

export type CollectState =
  /** The card's counter is being read: nothing that moves money has been sent. */
  | 'checking'
  /** A fresh MAC2 is journaled and CREDIT FOR LOAD may have reached the card. */
  | 'crediting'
  /** The card holds the amount (its TAC is here, from the credit or from GET TRANSACTION PROVE); final posting owed. */
  | 'credited'
  /** The gateway posted finally. */
  | 'completed'
  /** Not written at this tap (card taken away, card or gateway refused): the gateway still holds it pending; the next
   * tap decides again from the card's counter. */
  | 'not-collected';

export const COLLECT_MACHINE: MachineSpec<CollectState> = {
  name: 'collect',
  transitions: {
    checking: ['crediting', 'credited', 'not-collected'],
    crediting: ['credited', 'not-collected'],
    credited: ['completed'],
    completed: [],
    'not-collected': [],
  },
};

export interface CollectRecord extends JournalRecord<CollectState> {
  kind: 'collect';
  /** The gateway's transaction id of the load being collected. */
  pendingId: string;
  amount: number;
  terminalId: string;
  asn: string;
  /** Who owes the credit (absent: a load); the result and receipt name it. */
  source?: CreditSource;
  /**
   * The counter and balance the owed credit was last issued for (from the gateway, then from the fresh MAC2); absent
   * until a MAC2 is issued for a credit that never had one.
   */
  onlineCounter?: number;
  cardBefore?: number;
  mac2?: string;
  hostDate?: string;
  hostTime?: string;
  tac?: string;
  cardAfter?: number;
  /** proof: the earlier credit had in fact applied; recredit: written at this tap. */
  via?: 'proof' | 'recredit';
  tacVerified?: boolean;
  code?: ErrorCode;
}
