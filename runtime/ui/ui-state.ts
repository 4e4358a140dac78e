/**
 * The kiosk UI's one state machine: which screen the cardholder is on and the data that screen needs. Every change of
 * state goes through `checkTransition`, so a flow that tries to jump where the table does not allow is a bug caught
 * at once, not a screen silently out of step with the money.
 */
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { Receipt } from '../../hal/printer/receipt.ts';
import type { CampusRecordsPage, MaintenanceInfo, Processing, ReceiptOffer, RePresent, ResultInfo, TransactionRecord } from '../../screens/view-model.ts';
import type { CardSession } from '../flows/card-session.ts';

export type UiState =
  | { screen: 'idle' }
  /** `note`: an operator's reason (remote command out-of-service), shown with the code's text. */
  | { screen: 'out-of-service'; reason: ErrorCode; note?: string }
  /** Reading the card (no session yet), a load's steps, a query or a print. */
  | { screen: 'processing'; session?: CardSession; processing: Processing }
  | { screen: 'card'; session: CardSession }
  | { screen: 'menu'; session: CardSession }
  /** A load's amount, or a fee's once its account was looked up (`fee`). */
  | { screen: 'amount'; session: CardSession; entered: number | null; error?: ErrorCode; fee?: FeePayee }
  | { screen: 'fees'; session: CardSession }
  | { screen: 'fee-account'; session: CardSession; billerId: string; entered: string; error?: ErrorCode }
  | { screen: 'pin'; session: CardSession; amount: number; digits: number }
  /** A torn load asks for the same card back; the countdown is the load flow's. */
  | { screen: 're-present'; session: CardSession; rePresent: RePresent }
  /** `receipt` is what a paper receipt would say: present only after a load or collect that put money on the card. */
  | { screen: 'result'; session?: CardSession; result: ResultInfo; receipt?: Receipt }
  | { screen: 'receipt'; session?: CardSession; receipt: Receipt; offer: ReceiptOffer }
  | { screen: 'records'; session: CardSession; records: TransactionRecord[] }
  | { screen: 'campus-records'; session: CardSession; campusRecords: CampusRecordsPage }
  /** What the card is owed and the cardholder picks to collect (补助领取): subsidies not yet written. */
  | { screen: 'pending'; session: CardSession }
  | { screen: 'announcements'; session: CardSession; open?: string }
  /** The technician's PIN: only the count of digits typed is state; the digits stay in the TechnicianGate. */
  | { screen: 'maintenance-pin'; digits: number; attemptsLeft?: number }
  | { screen: 'maintenance'; info: MaintenanceInfo };

export type UiScreen = UiState['screen'];

/** Whom a fee pays, as the biller answered the lookup. */
export interface FeePayee {
  billerId: string;
  account: string;
  /** Holder and room, as shown for confirmation. */
  payee: string;
  maxAmount: number;
}

/** Where each screen may go besides itself and idle (cancel, card gone, inactivity). */
const NEXT: Record<UiScreen, readonly UiScreen[]> = {
  idle: ['processing', 'out-of-service', 'maintenance-pin'],
  'out-of-service': ['maintenance-pin'],
  processing: ['card', 'result', 'records', 'campus-records', 'receipt', 're-present', 'amount', 'fee-account'],
  card: ['menu'],
  menu: ['amount', 'processing', 'announcements', 'result', 'pending', 'fees'],
  // A fee's amount goes straight to processing (no PIN: the card's own purse pays) and back to its account.
  amount: ['menu', 'pin', 'result', 'processing', 'fee-account'],
  fees: ['menu', 'fee-account'],
  'fee-account': ['fees', 'processing'],
  pin: ['processing', 'result'],
  're-present': ['processing', 'result'],
  result: ['receipt', 'menu'],
  receipt: ['processing'],
  records: ['menu', 'processing'],
  'campus-records': ['menu', 'processing'],
  pending: ['menu', 'processing'],
  announcements: ['menu'],
  'maintenance-pin': ['maintenance'],
  maintenance: [],
};

export function checkTransition(from: UiScreen, to: UiScreen): void {
  if (to === from || to === 'idle' || NEXT[from].includes(to)) return;
  throw new QuancunError('INTERNAL', `the kiosk UI cannot go from ${from} to ${to}`, { from, to });
}

/** Screens where the cardholder is expected to act: they time out back to idle, with a visible countdown. */
export const WAITS_FOR_CARDHOLDER: ReadonlySet<UiScreen> = new Set(['card', 'menu', 'amount', 'fees', 'fee-account', 'result', 'receipt', 'records', 'campus-records', 'pending', 'announcements', 'maintenance-pin', 'maintenance']);

/** Screens about the card in the field: taking it away ends the session. Result and receipt outlive the card. */
export const NEEDS_CARD: ReadonlySet<UiScreen> = new Set(['card', 'menu', 'amount', 'fees', 'fee-account', 'pin', 'records', 'campus-records', 'pending', 'announcements']);
