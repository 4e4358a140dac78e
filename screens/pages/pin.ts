/**
 * PIN entry. The bank PIN is typed on the encrypting PIN pad, which reports only how many digits were pressed;
 * the technician PIN is typed on the screen keypad (it guards the maintenance screen, not money).
 */
import type { Rect } from '../layout.ts';
import { cols, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { label, type Widget } from '../widgets.ts';
import { operationText, tr, yuan } from '../strings.ts';
import { banner, keypad } from './parts.ts';
import { need, type Page, type PageContext } from './chrome.ts';

function pinField({ view, m }: PageContext, rect: Rect, screen: string): Widget[] {
  const lang = view.lang;
  const p = need(view.pin, 'pin', screen);
  const [title, field, attempts] = rows(rect, [1, 1, 1], m.gap) as [Rect, Rect, Rect];
  const fieldW = Math.min(field.w, Math.round(p.maxDigits * 56 * m.unit));
  const widgets: Widget[] = [
    label(`${screen}.title`, title, tr(lang, p.purpose === 'bank' ? 'enterPin' : 'enterTechPin'), { size: m.font.title, align: 'center', bold: true, wrap: true }),
    { kind: 'pin-field', id: `${screen}.field`, rect: { ...field, x: field.x + Math.round((field.w - fieldW) / 2), w: fieldW }, digits: p.digits, maxDigits: p.maxDigits },
  ];
  if (p.attemptsLeft !== undefined) widgets.push(banner(`${screen}.attempts`, attempts, tr(lang, 'attemptsLeft', { n: p.attemptsLeft }), 'warn', m));
  return widgets;
}

export const pin: Page = {
  exit: 'cancel',
  render(ctx) {
    const { view, m, content } = ctx;
    const [what, entry, hint] = rows(inset(content, m.gap * 2, 0), [1, 3, 1], m.gap) as [Rect, Rect, Rect];
    const widgets = pinField(ctx, entry, 'pin');
    const p = need(view.pin, 'pin', 'pin');
    if (p.amount !== undefined) {
      widgets.unshift(label('pin.what', what, `${operationText(view.lang, p.operation ?? 'load')} ${yuan(p.amount)}`, { size: m.font.big, align: 'center', bold: true, color: COLORS.primary }));
    }
    widgets.push(label('pin.hint', hint, tr(view.lang, 'pinHint'), { size: m.font.body, align: 'center', color: COLORS.muted }));
    return widgets;
  },
};

export const maintenancePin: Page = {
  exit: 'cancel',
  render(ctx) {
    const { view, m, content } = ctx;
    const portrait = m.orientation === 'portrait';
    const [entry, pad] = (portrait ? rows(content, [1, 2], m.gap * 2) : cols(content, [1, 1], m.gap * 2)) as [Rect, Rect];
    return [...pinField(ctx, entry, 'maintenance-pin'), keypad('maintenance-pin.keypad', pad, view.lang, m)];
  },
};
