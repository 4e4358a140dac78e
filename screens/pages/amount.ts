/** Amount choice: presets for the usual amounts, a keypad for any other, and the limits that apply. */
import type { Rect } from '../layout.ts';
import { cols, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { label, panel, type Widget } from '../widgets.ts';
import { errorText, tr, yuan } from '../strings.ts';
import { formatYuan } from '../../common/money.ts';
import { amountGrid, banner, cardStrip, keypad, maxLoadable, stripAndHalves } from './parts.ts';
import { need, type Page } from './chrome.ts';

export const amount: Page = {
  exit: 'back',
  render({ view, m, content }) {
    const lang = view.lang;
    const a = need(view.amount, 'amount', 'amount');
    const c = need(view.card, 'card', 'amount');
    const { strip, first: left, second: right } = stripAndHalves(content, m);
    const [title, presets, limits, note] = rows(left, [-Math.round(m.font.title * 1.6), 1, -Math.round(m.font.small * 2.6), -Math.round(m.font.body * 2.4)], m.gap) as [Rect, Rect, Rect, Rect];
    const [entered, pad] = rows(right, [-Math.round(64 * m.unit), 1], m.gap) as [Rect, Rect];
    const [otherTitle, otherValue] = cols(entered, [2, 3], m.gap) as [Rect, Rect];
    // A fee is capped by the biller's limit and the card's balance; a load by its limit and the purse's room.
    const fee = a.operation === 'fee';
    const limitText = fee
      ? `${tr(lang, 'payee', { payee: a.payee ?? '' })}  ${tr(lang, 'feeLimits', { max: formatYuan(a.maxLoad), balance: formatYuan(c.balance) })}`
      : tr(lang, 'limits', { min: formatYuan(a.minLoad), max: formatYuan(a.maxLoad), purse: formatYuan(a.purseLimit) });
    const most = fee ? Math.min(a.maxLoad, c.balance) : maxLoadable(a.maxLoad, a.purseLimit, c.balance);
    const widgets: Widget[] = [
      cardStrip('amount.card', strip, c, lang, m),
      label('amount.title', title, tr(lang, fee ? 'chooseFee' : 'chooseAmount'), { size: m.font.title, bold: true }),
      amountGrid('amount.presets', presets, a.presets, most, m, 3),
      label('amount.limits', limits, limitText, { size: m.font.small, color: COLORS.muted, wrap: true }),
      label('amount.other.title', otherTitle, tr(lang, 'otherAmount'), { size: m.font.body, bold: true }),
      panel('amount.other', otherValue, [
        label('amount.other.value', inset(otherValue, m.gap, 0), a.entered === null ? '¥ —' : yuan(a.entered), { size: m.font.big, bold: true, align: 'right', color: COLORS.primary }),
      ], { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) }),
      keypad('amount.keypad', pad, lang, m),
    ];
    if (a.error) widgets.push(banner('amount.error', note, errorText(lang, a.error), 'error', m));
    return widgets;
  },
};
