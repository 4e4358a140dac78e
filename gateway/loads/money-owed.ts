/**
 * What the campus owes, as an operator sees it: reversals the bank has not confirmed (the store-and-forward queue),
 * pending loads waiting for their card (圈存未领), loads left unfinished, and the credits the campus funds and owes
 * cards (subsidies, fee refunds, transfers; gateway/credits/) — each with what an operator may do
 * about it. Only actions that keep the money rule of docs/architecture.md are offered (every bank debit ends as a
 * card credit, a pending load or a confirmed reversal): a reversal tried again, a `mac2-issued` load its kiosk
 * left behind parked as a pending load, an `approved` load that never got its MAC2 reversed. Everything else is
 * advice. The caller (the console) audits each action.
 */
import { QuancunError } from '../../common/errors.ts';
import { maskPan } from '../../common/log.ts';
import type { CampusCreditRecord, CampusCredits, CampusCreditState, CampusSource } from '../credits/campus-credits.ts';
import { feeIdOfRefund } from '../fees/fee-service.ts';
import type { GatewayLoadRecord, GatewayLoadState } from './gateway-load-machine.ts';
import type { LoadService } from './load-service.ts';
import type { ReversalStatus } from '../saf/reversal-queue.ts';

/** An action an operator may take on one item; `id` is what `act` is given. */
export type OwedActionId = 'retry-reversal' | 'park' | 'reverse';

export interface Bilingual {
  zh: string;
  en: string;
}

export interface OwedItem {
  txnId: string;
  kioskId: string;
  bankId: string | null;
  state: GatewayLoadState;
  /** Fen. */
  amount: number;
  /** The card's application serial, first 6 and last 4 digits. */
  card: string;
  /** When the load entered its present state. */
  since: string;
  /** The record's last write: an action is refused if it changed since (the operator saw an older state). */
  updatedAt: string;
  actions: OwedActionId[];
  /** What the operator may do beyond the buttons, or why there are none. */
  advice: Bilingual;
}

export interface OwedReversal extends OwedItem, ReversalStatus {
  /** ISO 8583 reversal reason (field 39 of the 0400): 98 no answer, 96 abandoned, A0 bad MAC, 06 other. */
  reason: string | null;
  /** Tried often enough that the queue logged it for an operator; it keeps trying. */
  attention: boolean;
}

/** A credit the campus funds and owes a card (gateway/credits/: a subsidy, a fee refund, a transfer's approval). */
export interface OwedCredit {
  id: string;
  source: CampusSource;
  state: Exclude<CampusCreditState, 'completed' | 'expired'>;
  /** Fen. */
  amount: number;
  /** The card's application serial, first 6 and last 4 digits. */
  card: string;
  /** Where it arose (a fee refund: where the fee was paid); absent for one the campus issued. */
  kioskId?: string;
  /** The kiosk that last asked for its MAC2. */
  collector?: string;
  /** A fee refund's fee. */
  feeId?: string;
  label?: string;
  /** The last campus day it can be collected. */
  expires?: string;
  /** Since it was owed. */
  since: string;
  /** A MAC2 was issued: only the card's counter, at its next tap, tells whether the card holds it. */
  inDoubt: boolean;
  advice: Bilingual;
}

type Tally = { count: number; amount: number };

export interface MoneyOwedView {
  reversals: OwedReversal[];
  pendingLoads: OwedItem[];
  /** Held for an operator (tac-failed) or older than the stale threshold in a state that should pass in seconds. */
  unfinished: OwedItem[];
  /** Campus-funded credits not yet on their card: owed, in doubt (MAC2 issued) or held for an operator (tac-failed). */
  credits: OwedCredit[];
  totals: { reversals: Tally; pendingLoads: Tally; credits: Tally & { bySource: Partial<Record<CampusSource, Tally>> } };
}

export const ACTION_LABELS: Record<OwedActionId, Bilingual> = {
  'retry-reversal': { zh: '立即重发冲正', en: 'Retry the reversal now' },
  park: { zh: '转为圈存未领', en: 'Park as a pending load' },
  reverse: { zh: '冲正', en: 'Reverse' },
};

/** Per state: the actions offered, and the advice. States not named here are never listed as unfinished. */
const UNFINISHED: Partial<Record<GatewayLoadState, { actions: OwedActionId[]; advice: Bilingual }>> = {
  received: {
    actions: [],
    advice: { zh: '尚未发往银行，未扣款；前置机重启时会关闭它', en: 'Never sent to the bank, nothing debited; the next gateway start closes it' },
  },
  'bank-pending': {
    actions: [],
    advice: {
      zh: '转账等待银行应答；若无应答将冲正（前置机重启时也会冲正）',
      en: "The transfer awaits the bank's answer; without one it is reversed (a gateway start reverses it too)",
    },
  },
  approved: {
    actions: ['reverse'],
    advice: {
      zh: '银行已扣款但从未签发MAC2，卡片不可能已入账：冲正退回银行',
      en: 'The bank debited but no MAC2 was ever issued, so the card cannot hold the credit: reverse it to the bank',
    },
  },
  'mac2-issued': {
    actions: ['park'],
    advice: {
      zh: '卡片可能已入账也可能未入账：转为圈存未领，持卡人下次在任一圈存机放卡时由卡片计数器决定',
      en: "The card may or may not hold the credit: park it as a pending load; at the card's next tap at any kiosk its counter decides",
    },
  },
  'tac-failed': {
    actions: [],
    advice: {
      zh: '卡片TAC校验失败，银行扣款仍在：请持卡到服务中心查验卡片交易记录，再与银行处理',
      en: "The card's TAC did not verify and the bank's debit stands: check the card's load record at the service centre, then settle with the bank",
    },
  },
};

const REVERSAL_ADVICE: Bilingual = {
  zh: '银行尚未确认冲正，系统会自动重试；多次失败请联系银行',
  en: 'The bank has not confirmed the reversal; it is retried by itself. After repeated failures, ask the bank',
};
const PENDING_ADVICE: Bilingual = {
  zh: '金额在校园账户中等待，持卡人在任一圈存机放卡即可领取',
  en: 'The amount waits in the campus account; the cardholder taps the card at any kiosk to collect it',
};

/** What the operator may know of a campus-funded credit by its state; none has an action: the card decides. */
const CREDIT_ADVICE: Record<OwedCredit['state'], Bilingual> = {
  owed: PENDING_ADVICE,
  'mac2-issued': {
    zh: '已签发MAC2，等待卡片计数器确认：卡片可能已入账也可能未入账，持卡人下次在任一圈存机放卡时由计数器决定；在此之前该卡不能圈存',
    en: "MAC2 issued, waiting for the card's counter: the card may or may not hold it; its next tap at any kiosk decides by the counter, and until then the card takes no load",
  },
  'tac-failed': {
    zh: '卡片TAC校验失败：请持卡到服务中心查验卡片交易记录',
    en: "The card's TAC did not verify: check the card's load record at the service centre",
  },
};

export interface MoneyOwedOptions {
  loads: LoadService;
  credits: Pick<CampusCredits, 'credits'>;
  /** How long a load may sit in `received`, `bank-pending`, `approved` or `mac2-issued` before it is listed. */
  staleAfterMs?: number;
  /** Tries after which a reversal needs an operator's attention (the queue's `attentionAfter`). */
  attentionAfter?: number;
  now?: () => Date;
}

/** Longer than a kiosk waits for a torn card to come back (limits.rePresentSeconds) and a bank's timeouts. */
export const DEFAULT_STALE_AFTER_MS = 15 * 60_000;

export class MoneyOwed {
  readonly #o: MoneyOwedOptions;

  constructor(options: MoneyOwedOptions) {
    this.#o = options;
  }

  /** Everything owed now, oldest first in each list. */
  async view(): Promise<MoneyOwedView> {
    const { loads } = this.#o;
    const now = (this.#o.now ?? (() => new Date()))().getTime();
    const staleBefore = now - (this.#o.staleAfterMs ?? DEFAULT_STALE_AFTER_MS);
    const attentionAfter = this.#o.attentionAfter ?? 3;
    const reversals: OwedReversal[] = [];
    const pendingLoads: OwedItem[] = [];
    const unfinished: OwedItem[] = [];
    // Every record is read: tac-failed ones are final and not indexed, and an operator must see them all.
    for (const record of await loads.loads.all()) {
      if (record.state === 'reversing') {
        const status = loads.reversals.status(record.id);
        reversals.push({
          ...item(record, ['retry-reversal'], REVERSAL_ADVICE), ...status,
          reason: record.reversalReason ?? null, attention: status.attempts >= attentionAfter,
        });
      } else if (record.state === 'pending-load') {
        pendingLoads.push(item(record, [], PENDING_ADVICE));
      } else {
        const known = UNFINISHED[record.state];
        if (!known) continue;
        if (record.state !== 'tac-failed' && Date.parse(record.updatedAt) > staleBefore) continue;
        unfinished.push(item(record, known.actions, known.advice));
      }
    }
    // Every credit record too: a tac-failed one is final, and held for an operator all the same.
    const credits = (await this.#o.credits.credits.all()).filter((r) => r.state !== 'completed' && r.state !== 'expired').map(owedCredit);
    const bySince = (a: { since: string }, b: { since: string }) => a.since.localeCompare(b.since);
    const total = (items: Array<{ amount: number }>): Tally => ({ count: items.length, amount: items.reduce((sum, i) => sum + i.amount, 0) });
    const bySource: Partial<Record<CampusSource, Tally>> = {};
    for (const source of new Set(credits.map((c) => c.source))) bySource[source] = total(credits.filter((c) => c.source === source));
    return {
      reversals: reversals.sort(bySince), pendingLoads: pendingLoads.sort(bySince), unfinished: unfinished.sort(bySince), credits: credits.sort(bySince),
      totals: { reversals: total(reversals), pendingLoads: total(pendingLoads), credits: { ...total(credits), bySource } },
    };
  }

  /**
   * Takes an action the view offers for this transaction now; refused with TXN_STATE when it is not offered (any
   * more), TXN_UNKNOWN when there is no such load. Returns the view after the action, and the item as it is in it, or
   * null once the load left every list (a reversal confirmed).
   */
  async act(txnId: string, action: OwedActionId): Promise<{ item: OwedItem | OwedReversal | null; view: MoneyOwedView }> {
    const { loads } = this.#o;
    const offered = all(await this.view()).find((i) => i.txnId === txnId);
    if (!offered?.actions.includes(action)) {
      const record = await loads.loads.require(txnId);
      throw new QuancunError('TXN_STATE', `"${action}" is not offered for ${txnId} in state ${record.state}`, { txnId, state: record.state, action });
    }
    if (action === 'retry-reversal') await loads.reversals.retryNow(txnId);
    else await loads.operatorEnd(txnId, action, offered.updatedAt);
    const view = await this.view();
    return { item: all(view).find((i) => i.txnId === txnId) ?? null, view };
  }
}

const all = (v: MoneyOwedView): Array<OwedItem | OwedReversal> => [...v.reversals, ...v.pendingLoads, ...v.unfinished];

function item(record: GatewayLoadRecord, actions: OwedActionId[], advice: Bilingual): OwedItem {
  const entered = [...record.history].reverse().find((h) => h.state === record.state);
  return {
    txnId: record.id, kioskId: record.kioskId, bankId: record.bankId ?? null, state: record.state, amount: record.amount,
    card: maskPan(record.asn), since: entered?.at ?? record.updatedAt, updatedAt: record.updatedAt, actions, advice,
  };
}

function owedCredit(r: CampusCreditRecord): OwedCredit {
  const state = r.state as OwedCredit['state'];
  return {
    id: r.id, source: r.source, state, amount: r.amount, card: maskPan(r.asn),
    ...(r.kioskId ? { kioskId: r.kioskId } : {}), ...(r.collector ? { collector: r.collector } : {}),
    ...(r.source === 'fee-refund' ? { feeId: feeIdOfRefund(r.id) } : {}),
    ...(r.label ? { label: r.label } : {}), ...(r.expires ? { expires: r.expires } : {}),
    since: r.history[0]?.at ?? r.updatedAt, inDoubt: state === 'mac2-issued', advice: CREDIT_ADVICE[state],
  };
}
