/**
 * What a person may record about a difference reconciliation left open, per class. None of them moves money in the
 * campus system: each says what was settled with the bank or at the service centre, outside it, and closes the
 * difference for the day with the person's note. A difference whose way out runs through the campus system has no
 * entry here: a torn credit (pending-load) is ended by the card's next tap or parked from Money owed, and the next
 * run then resolves it by itself.
 */
import type { Difference, DifferenceClass } from './reconcile.ts';

export interface ManualResolution {
  id: string;
  zh: string;
  en: string;
}

export const MANUAL_RESOLUTIONS: Record<DifferenceClass, ManualResolution[]> = {
  'bank-only': [
    { id: 'bank-refunded', zh: '银行已退款或冲回该笔扣款', en: 'The bank refunded or reversed the debit' },
    { id: 'bank-traced', zh: '银行核查：该笔扣款不属于本校园终端', en: "The bank traced the debit to something other than the campus's terminal" },
  ],
  'campus-only': [
    { id: 'bank-holds-debit', zh: '银行确认已扣款（对账文件漏记）', en: 'The bank confirmed it holds the debit (its file left it out)' },
    { id: 'written-off', zh: '银行未扣款：已按校园规定向持卡人追回或核销', en: 'The bank holds no debit: recovered from the cardholder or written off by campus rule' },
  ],
  'amount-mismatch': [
    { id: 'corrected-with-bank', zh: '已与银行更正金额', en: 'The amount was corrected with the bank' },
  ],
  'reversal-unconfirmed': [
    { id: 'bank-reversed-by-hand', zh: '银行已人工冲正', en: 'The bank reversed the debit by hand' },
  ],
  'card-credited-without-final-posting': [
    {
      id: 'card-checked', zh: '已在服务中心查验卡片交易记录并与银行处理',
      en: "The card's load record was checked at the service centre and settled with the bank",
    },
  ],
  'pending-load': [],
};

/** The resolutions a person may record for this difference now: none once it is resolved. */
export function manualResolutions(d: Pick<Difference, 'class' | 'status'>): ManualResolution[] {
  return d.status === 'open' ? MANUAL_RESOLUTIONS[d.class] : [];
}
