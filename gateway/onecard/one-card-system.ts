/**
 * The campus's one-card system (一卡通): whose database holds the cardholder accounts and their bank bindings (签约),
 * and which is told of every posting of the campus ledger. Three kinds (docs/onecard.md): the gateway's own store
 * (`built-in`, the default), the campus's PostgreSQL reached directly (`postgres`), or its web middle tier (`http`).
 *
 * Every failure is a typed QuancunError: CARD_UNKNOWN when the system says it has no such card, ONECARD_REFUSED when
 * it definitely refused a posting (no such account, a status change it cannot make), ONECARD_UNAVAILABLE when it could
 * not be reached or gave no answer it understood — then a posting may or may not have been applied, and only sending
 * the same one again (post is idempotent) can tell.
 */
import type { CreditSource } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';

export interface CampusAccount {
  campusAccount: string;
  name: string;
  staffNo: string;
  /** The card's application serial number (hex, 20 digits). */
  asn: string;
  /** The bound bank, if the cardholder signed a binding (签约). */
  bankId?: string;
  bankPan?: string;
}

export type OneCardKind = 'built-in' | 'postgres' | 'http';

/**
 * A posting's status as the one-card system names it. `write-failed` is the ledger's `pending`: the amount is owed
 * to the card and not on it yet (圈存未领, a load whose card write failed; or a campus-funded credit not yet collected).
 */
export const wireStatuses = ['provisional', 'final', 'write-failed', 'reversed', 'expired'] as const;
export type WireStatus = (typeof wireStatuses)[number];

export interface OneCardPosting {
  txnId: string;
  campusAccount: string;
  /** Fen. */
  amount: number;
  status: WireStatus;
  /** Who owes the credit; absent: a load from the bank. */
  source?: CreditSource;
  /** When the gateway made the posting (ISO 8601). */
  at: string;
}

/**
 * The status changes the gateway makes (every `postingOps` in gateway/), and so the only ones a one-card system
 * accepts; `new` is a transaction it has not seen. A load: provisional once the bank approved, then final (TAC
 * verified), write-failed (the card left: 圈存未领) or reversed; reversed alone when the bank's answer never came.
 * A campus-funded credit: write-failed (owed) then final or expired. A batch transfer: provisional, write-failed
 * when its credit is owed, then final or expired. Every other change (final after reversed…) is refused.
 */
export const POSTING_TRANSITIONS: Readonly<Record<WireStatus | 'new', readonly WireStatus[]>> = {
  new: ['provisional', 'write-failed', 'reversed'],
  provisional: ['final', 'write-failed', 'reversed'],
  'write-failed': ['final', 'expired'],
  final: [],
  reversed: [],
  expired: [],
};

/**
 * Every allowed change goes up this order, and a transaction has at most one status of each rank: a transaction's
 * statuses sent in rank order are sent in the order they were made (the outbox's keys sort by it).
 */
export const STATUS_RANK: Readonly<Record<WireStatus, number>> = { provisional: 1, 'write-failed': 2, final: 3, reversed: 3, expired: 3 };

export interface OneCardSystem {
  readonly kind: OneCardKind;
  /** Ready to answer; a system that cannot be reached does not stop the gateway (its loads fail ONECARD_UNAVAILABLE). */
  open(): Promise<void>;
  close(): Promise<void>;
  /** The account holding this card; CARD_UNKNOWN when the system has none, ONECARD_UNAVAILABLE when it cannot say. */
  accountByAsn(asn: string): Promise<CampusAccount>;
  account(campusAccount: string): Promise<CampusAccount | undefined>;
  /**
   * Delivers one posting status; resolves with the posting as the system holds it after. Idempotent per (txnId,
   * status): the same status sent again is applied once. ONECARD_REFUSED for an unknown account or a change
   * POSTING_TRANSITIONS does not allow.
   */
  post(posting: OneCardPosting): Promise<OneCardPosting>;
}

/** The system answered that no account holds this card (only the serial's last digits are kept). */
export function oneCardCardUnknown(asn: string): QuancunError {
  return new QuancunError('CARD_UNKNOWN', 'the one-card system has no account for this card', { asnTail: asn.slice(-4) });
}

/** The system could not be reached, or gave no answer understood: whatever was sent may or may not have been applied. */
export function oneCardUnavailable(message: string, cause?: unknown): QuancunError {
  return new QuancunError('ONECARD_UNAVAILABLE', message, {}, cause === undefined ? undefined : { cause });
}

/** The system's definite refusal of a posting, in its words: nothing was applied, and sending it again changes nothing. */
export function oneCardRefused(posting: OneCardPosting, reason: string): QuancunError {
  return new QuancunError('ONECARD_REFUSED', `the one-card system refused ${posting.txnId} ${posting.status}: ${reason}`,
    { txnId: posting.txnId, status: posting.status, reason });
}

const optionalText = (v: unknown) => v === undefined || v === null || typeof v === 'string';

/** The account in a system's answer (its fields by the names here), or undefined when the answer is not one. */
export function accountFrom(b: Record<string, unknown>): CampusAccount | undefined {
  if (!['campusAccount', 'name', 'staffNo', 'asn'].every((k) => typeof b[k] === 'string') || !optionalText(b.bankId) || !optionalText(b.bankPan)) return undefined;
  return {
    campusAccount: b.campusAccount as string, name: b.name as string, staffNo: b.staffNo as string, asn: (b.asn as string).toUpperCase(),
    ...(typeof b.bankId === 'string' ? { bankId: b.bankId } : {}), ...(typeof b.bankPan === 'string' ? { bankPan: b.bankPan } : {}),
  };
}
