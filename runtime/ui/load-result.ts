/** What the result and receipt screens say about a load, from the flow's outcome: pure mappings. */
import type { ErrorCode } from '../../common/errors.ts';
import type { CreditSource } from '../../common/api/topics.ts';
import type { ReceiptPrinter } from '../../hal/printer/printer.ts';
import type { Receipt } from '../../hal/printer/receipt.ts';
import type { Operation, ReceiptOffer, ResultInfo } from '../../screens/view-model.ts';
import type { CardSession } from '../flows/card-session.ts';
import type { LoadCredited, LoadOutcome } from '../flows/load/load-flow.ts';
import { collected, type CollectOutcome } from '../flows/collect/collect-flow.ts';
import { COLLECT_RECEIPTS } from '../flows/collect/collect-descriptor.ts';
import { LOAD_RECEIPTS } from '../flows/load/load-descriptor.ts';
import { maskedCardNo } from './ui-view.ts';

/** The card holds the money: completed, or credited with the gateway's final posting still owed (recovery posts it). */
export function loadCredited(outcome: LoadOutcome): outcome is LoadCredited {
  return outcome.state === 'completed' || outcome.state === 'credited';
}

export function loadResult(outcome: LoadOutcome): ResultInfo {
  const ok = loadCredited(outcome);
  return {
    ok, operation: 'load', amount: outcome.amount, reference: outcome.txnId,
    // After a torn credit only the card's counter can tell what it holds: no balance is shown rather than a guess.
    ...('cardAfter' in outcome ? { newBalance: outcome.cardAfter } : {}),
    ...(ok ? {} : { code: outcome.code }),
  };
}

/** What a collect is called on screen: 补助领取 when it writes only subsidies, 领款 otherwise. */
export function collectOperation(owed: ReadonlyArray<{ source?: CreditSource | undefined }>): 'subsidy' | 'collect' {
  return owed.length > 0 && owed.every((o) => o.source === 'subsidy') ? 'subsidy' : 'collect';
}

/** Owed credits written at a tap: ok when every one is on the card; the balance as the card reads it afterwards. */
export function collectResult(outcomes: CollectOutcome[], balance: number, operation: Operation): ResultInfo {
  const failed = outcomes.find((o) => !collected(o));
  const written = outcomes.filter(collected);
  return {
    ok: !failed, operation, amount: written.reduce((sum, o) => sum + o.amount, 0), newBalance: balance,
    ...(outcomes[0] ? { reference: outcomes[0].pendingId } : {}), ...(failed ? { code: failed.code } : {}),
  };
}

/** Refused before any transaction existed, or an operation that moves no money: the balance is the card's as read. */
export function refusedResult(code: ErrorCode, operation: Operation, amount: number, session?: CardSession): ResultInfo {
  return { ok: false, operation, amount, code, ...(session ? { newBalance: session.balance } : {}) };
}

export interface ReceiptPlace { campus: string; kioskId: string; timeZone: string }

/** What every receipt carries whatever its operation: where, when, the card (masked). */
export function receiptAt(
  where: ReceiptPlace, session: CardSession, money: Pick<Receipt, 'txnRef' | 'wording' | 'amountFen' | 'balanceAfterFen' | 'bankRef' | 'biller' | 'billerRef'>,
): Receipt {
  return { campus: where.campus, kioskId: where.kioskId, timeZone: where.timeZone, time: new Date(), maskedCard: maskedCardNo(session.asn), ...money };
}

export function loadReceipt(outcome: LoadCredited, session: CardSession, where: ReceiptPlace): Receipt {
  return receiptAt(where, session, { txnRef: outcome.txnId, wording: LOAD_RECEIPTS.load, amountFen: outcome.amount, balanceAfterFen: outcome.cardAfter, bankRef: outcome.bankRef });
}

/**
 * One receipt for the pending loads written at a tap, none when nothing was written. Its reference (and QR) is the
 * first collect's kiosk transaction id; a tap that wrote several (rare: no new load starts while one is owed) shows
 * their sum, and the campus query lists each.
 */
export function collectReceipt(outcomes: CollectOutcome[], balance: number, session: CardSession, where: ReceiptPlace): Receipt | undefined {
  const written = outcomes.filter(collected);
  if (written.length === 0) return undefined;
  const amountFen = written.reduce((sum, o) => sum + o.amount, 0);
  return receiptAt(where, session, { txnRef: written[0]!.txnId, wording: COLLECT_RECEIPTS[collectOperation(written)], amountFen, balanceAfterFen: balance });
}

/** A paper receipt is offered only when the printer says it can print; the e-receipt QR is shown either way. */
export function receiptOffer(printer: ReceiptPrinter | undefined, receipt: Receipt): ReceiptOffer {
  const qrPayload = receipt.txnRef;
  if (printer?.canPrint) return { available: true, qrPayload };
  return { available: false, reason: printer?.status.paperOut ? 'paper-out' : 'printer-fault', qrPayload };
}
