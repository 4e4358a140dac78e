/** The KioskView of a UI state: a pure function, so each screen the flows reach is exactly what this returns. */
import type { Announcement, CardSummary, KioskView, Lang, PendingItem } from '../../screens/view-model.ts';
import { tr } from '../../screens/strings.ts';
import { writtenAtTap } from '../flows/collect/collect-flow.ts';
import { maskAsn, maskName, type CardSession } from '../flows/card-session.ts';
import { MIN_TYPED_FEN } from './amount-entry.ts';
import type { UiState } from './ui-state.ts';
import { TECHNICIAN_PIN_DIGITS } from './technician.ts';
import { billerLabel, FEE_BILLERS, FEE_PRESETS } from './fee-entry.ts';

/** Bank PINs in China are six digits; the pad accepts 4 to 12, so a longer PIN widens the field rather than overflowing it. */
const PIN_FIELD_DIGITS = 6;

export interface ViewContext {
  lang: Lang;
  clock: string;
  campusName: { zh: string; en: string };
  kioskId: string;
  announcements: Announcement[];
  presets: number[];
  inactivitySecondsLeft?: number;
}

/** "****0001": the last four digits are what a cardholder recognises. */
export function maskedCardNo(asn: string): string {
  return maskAsn(asn).slice(-8);
}

export function cardSummary(session: CardSession): CardSummary {
  return { maskedName: maskName(session.cardHolder.name), maskedNo: maskedCardNo(session.asn), balance: session.balance };
}

/** What the cardholder may pick to collect: the credits not written at the tap (subsidies), with their last day. */
export function pendingItems(session: CardSession, lang: Lang): PendingItem[] {
  return session.account.pendingLoads.filter((o) => !writtenAtTap(o)).map((o) => ({
    id: o.pendingId, kind: 'subsidy', amount: o.amount, label: o.label ?? '', date: o.expires ? tr(lang, 'collectBy', { date: o.expires }) : '',
  }));
}

export function kioskView(state: UiState, ctx: ViewContext): KioskView {
  const view: KioskView = {
    screen: state.screen,
    lang: ctx.lang,
    clock: ctx.clock,
    campusName: ctx.campusName,
    kioskId: ctx.kioskId,
    mode: state.screen === 'out-of-service' ? 'out-of-service' : state.screen.startsWith('maintenance') ? 'maintenance' : 'in-service',
    ...(ctx.inactivitySecondsLeft === undefined ? {} : { inactivitySecondsLeft: ctx.inactivitySecondsLeft }),
    ...('session' in state && state.session ? { card: cardSummary(state.session) } : {}),
  };
  switch (state.screen) {
    case 'idle':
      return { ...view, announcements: ctx.announcements };
    case 'out-of-service':
      return { ...view, outOfService: state.reason, ...(state.note ? { outOfServiceNote: state.note } : {}) };
    case 'card':
    case 'menu':
    case 'pending':
      return { ...view, pending: pendingItems(state.session, ctx.lang) };
    case 'amount': {
      const error = state.error ? { error: state.error } : {};
      if (state.fee) {
        const { maxAmount, payee } = state.fee;
        return { ...view, amount: { operation: 'fee', presets: FEE_PRESETS, entered: state.entered, minLoad: MIN_TYPED_FEN, maxLoad: maxAmount, purseLimit: maxAmount, payee, ...error } };
      }
      const { maxLoad, purseLimit } = state.session.account.limits;
      return {
        ...view,
        amount: {
          operation: 'load', presets: ctx.presets, entered: state.entered, minLoad: MIN_TYPED_FEN, maxLoad, purseLimit, ...error,
        },
      };
    }
    case 'fees':
      return { ...view, fees: [...FEE_BILLERS] };
    case 'fee-account':
      return { ...view, feeAccount: { biller: billerLabel(state.billerId), entered: state.entered, ...(state.error ? { error: state.error } : {}) } };
    case 'pin':
      return { ...view, pin: { digits: state.digits, maxDigits: Math.max(PIN_FIELD_DIGITS, state.digits), purpose: 'bank', operation: 'load', amount: state.amount } };
    case 'processing':
      return { ...view, processing: state.processing };
    case 're-present':
      return { ...view, rePresent: state.rePresent };
    case 'result':
      return { ...view, result: state.result };
    case 'receipt':
      return { ...view, receipt: state.offer };
    case 'records':
      return { ...view, records: state.records };
    case 'campus-records':
      return { ...view, campusRecords: state.campusRecords };
    case 'announcements':
      return { ...view, announcements: ctx.announcements, ...(state.open ? { openAnnouncement: state.open } : {}) };
    case 'maintenance-pin':
      return {
        ...view,
        pin: { digits: state.digits, maxDigits: TECHNICIAN_PIN_DIGITS, purpose: 'technician', ...(state.attemptsLeft === undefined ? {} : { attemptsLeft: state.attemptsLeft }) },
      };
    case 'maintenance':
      return { ...view, maintenance: state.info };
  }
}
