/** The card is read: who and how much, then the main menu. */
import type { Rect } from '../layout.ts';
import { grid, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { button, label, panel } from '../widgets.ts';
import type { MenuItem } from '../view-model.ts';
import { menuText, tr, yuan } from '../strings.ts';
import { cardStrip } from './parts.ts';
import { need, type Page } from './chrome.ts';

export const card: Page = {
  exit: 'cancel',
  render({ view, m, content }) {
    const lang = view.lang;
    const c = need(view.card, 'card', 'card');
    const [name, no, balTitle, bal, go] = rows(inset(content, m.gap * 2, 0), [1, 1, 1, 2, 2], m.gap) as [Rect, Rect, Rect, Rect, Rect];
    const goBox = { ...go, x: go.x + go.w / 4, w: go.w / 2 };
    return [
      panel('card.box', content, [
        label('card.name', name, `${tr(lang, 'cardholder')}：${c.maskedName}`, { size: m.font.title, align: 'center' }),
        label('card.no', no, `${tr(lang, 'cardNo')}：${c.maskedNo}`, { size: m.font.title, align: 'center' }),
        label('card.balance.title', balTitle, tr(lang, 'balance'), { size: m.font.body, align: 'center', color: COLORS.muted }),
        label('card.balance', bal, yuan(c.balance), { size: m.font.huge, align: 'center', bold: true, color: COLORS.primary }),
        button('card.continue', goBox, tr(lang, 'continue'), { type: 'confirm' }, m.font.title, 'primary'),
      ], { fill: COLORS.surface, radius: Math.round(8 * m.unit) }),
    ];
  },
};

const MENU: MenuItem[] = ['load', 'collect', 'fees', 'records', 'announcements'];

export const menu: Page = {
  exit: 'cancel',
  render({ view, m, content }) {
    const lang = view.lang;
    const c = need(view.card, 'card', 'menu');
    const [strip, title, body] = rows(content, [-Math.round(48 * m.unit), -Math.round(m.font.title * 1.6), 1], m.gap) as [Rect, Rect, Rect];
    const portrait = m.orientation === 'portrait';
    const cells = portrait ? grid(body, 1, MENU.length, m.gap) : grid(body, 3, 2, m.gap);
    const pending = view.pending?.length ?? 0;
    return [
      cardStrip('menu.card', strip, c, lang, m),
      label('menu.title', title, tr(lang, 'chooseService'), { size: m.font.title, bold: true }),
      ...MENU.map((item, i) => {
        const text = item === 'collect' && pending > 0 ? `${menuText(lang, item)} (${pending})` : menuText(lang, item);
        return button(`menu.${item}`, cells[i]!, text, { type: 'menu', item }, m.font.title, item === 'load' || (item === 'collect' && pending > 0) ? 'primary' : 'secondary');
      }),
    ];
  },
};
