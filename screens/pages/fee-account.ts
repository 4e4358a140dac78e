/** A fee's room or account, typed on the keypad; the biller looks it up on OK. */
import type { Rect } from '../layout.ts';
import { inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { label, panel, type Widget } from '../widgets.ts';
import { errorText, tr } from '../strings.ts';
import { banner, cardStrip, keypad, stripAndHalves } from './parts.ts';
import { need, type Page } from './chrome.ts';

export const feeAccount: Page = {
  exit: 'back',
  render({ view, m, content }) {
    const lang = view.lang;
    const f = need(view.feeAccount, 'feeAccount', 'fee-account');
    const c = need(view.card, 'card', 'fee-account');
    const { strip, first: left, second: pad } = stripAndHalves(content, m, [2, 3]);
    const [title, value, hint, rest] = rows(left, [-Math.round(m.font.title * 3.2), -Math.round(64 * m.unit), -Math.round(m.font.small * 2.6), 1], m.gap) as [Rect, Rect, Rect, Rect];
    const note = { ...rest, h: Math.min(rest.h, Math.round(m.font.body * 2.4)) };
    const widgets: Widget[] = [
      cardStrip('fee-account.card', strip, c, lang, m),
      label('fee-account.title', title, tr(lang, 'feeAccountTitle', { biller: f.biller[lang] }), { size: m.font.title, bold: true, wrap: true }),
      panel('fee-account.value', value, [
        label('fee-account.value.text', inset(value, m.gap, 0), f.entered || '—', { size: m.font.big, bold: true, align: 'right', color: COLORS.primary }),
      ], { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) }),
      label('fee-account.hint', hint, tr(lang, 'feeAccountHint'), { size: m.font.small, color: COLORS.muted, wrap: true }),
      keypad('fee-account.keypad', pad, lang, m),
    ];
    if (f.error) widgets.push(banner('fee-account.error', note, errorText(lang, f.error), 'error', m));
    return widgets;
  },
};
