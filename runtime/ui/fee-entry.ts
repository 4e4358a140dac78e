/**
 * What the fee screens offer and how the keypad edits a room or account: pure data and functions. The billers are
 * the two kinds quancun pays (docs/fees.md); one the gateway is not configured with answers BILLER_UNKNOWN.
 */
import type { FeeItem, KeypadKey } from '../../screens/view-model.ts';

export const FEE_BILLERS: readonly Required<Omit<FeeItem, 'amount'>>[] = [
  { id: 'dorm-power', label: { zh: '宿舍电费', en: 'Dorm electricity' } },
  { id: 'campus-net', label: { zh: '校园网费', en: 'Campus network' } },
];

export const FEE_PRESETS = [1_000, 2_000, 5_000, 10_000, 20_000, 30_000];

/** Rooms and campus accounts are digits; sixteen cover both with room to spare. */
const MAX_ACCOUNT_DIGITS = 16;

/** The account after a digit or delete key; 'ok' is not an edit. */
export function editAccount(entered: string, key: KeypadKey): string {
  if (key === 'ok') return entered;
  if (key === 'del') return entered.slice(0, -1);
  return entered.length < MAX_ACCOUNT_DIGITS ? entered + key : entered;
}

export function billerLabel(id: string): FeeItem['label'] {
  return FEE_BILLERS.find((b) => b.id === id)?.label ?? { zh: id, en: id };
}
