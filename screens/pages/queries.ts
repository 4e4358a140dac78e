/** Self-service queries and collections: balance and history, pending loads and subsidies, fees, notices. */
import type { Rect } from '../layout.ts';
import { cols, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { button, label, panel, type Widget } from '../widgets.ts';
import { recordKindText, recordStateText, tr, yuan } from '../strings.ts';
import { cardStrip, table } from './parts.ts';
import { need, type Page, type PageContext } from './chrome.ts';

/** Title row plus the list area, with the card strip when a card is present. */
function frame({ view, m, content }: PageContext, titleText: string, id: string): { widgets: Widget[]; list: Rect } {
  const stripH = view.card ? Math.round(48 * m.unit) : 0;
  const [strip, title, list] = rows(content, [-stripH, -Math.round(m.font.title * 1.6), 1], m.gap) as [Rect, Rect, Rect];
  const widgets: Widget[] = [label(`${id}.title`, title, titleText, { size: m.font.title, bold: true })];
  if (view.card) widgets.unshift(cardStrip(`${id}.card`, strip, view.card, view.lang, m));
  return { widgets, list };
}

/** As many equal rows as fit at a comfortable touch height. */
function listRows(list: Rect, count: number, minH: number, gap: number): Rect[] {
  const fit = Math.max(1, Math.floor((list.h + gap) / (minH + gap)));
  return rows(list, Array(Math.min(fit, count)).fill(1), gap).map((r) => ({ ...r, h: Math.min(r.h, minH * 2) }));
}

/** A row of buttons under a list, at the touch height and no more: the list keeps every row it can. */
function buttonRow(ctx: PageContext, list: Rect): [Rect, Rect] {
  return rows(list, [1, -ctx.m.touchMin], ctx.m.gap) as [Rect, Rect];
}

/** What the card itself keeps, and the way to the campus account's records (records.query). */
export const records: Page = {
  exit: 'back',
  render(ctx) {
    const { view, m } = ctx;
    const lang = view.lang;
    const { widgets, list: area } = frame(ctx, tr(lang, 'recordsTitle'), 'records');
    const [list, more] = buttonRow(ctx, area);
    widgets.push(button('records.campus', more, tr(lang, 'campusRecords'), { type: 'records-page', page: 1 }, m.font.body, 'primary'));
    const items = view.records ?? [];
    if (items.length === 0) return [...widgets, label('records.none', list, tr(lang, 'noRecords'), { size: m.font.body, color: COLORS.muted, align: 'center' })];
    const header = lang === 'zh' ? ['时间', '类型', '金额', '地点'] : ['Time', 'Type', 'Amount', 'Place'];
    const body = items.map((r) => [r.time, recordKindText(lang, r.kind), `${r.amount > 0 ? '+' : ''}${yuan(r.amount)}`, r.place]);
    return [...widgets, table('records.table', list, [{ weight: 4 }, { weight: 2 }, { weight: 3, align: 'right' }, { weight: 4 }], header, body, m)];
  },
};

/** The campus account's records, a page at a time, with what the card is owed and the page arrows. */
export const campusRecords: Page = {
  exit: 'back',
  render(ctx) {
    const { view, m } = ctx;
    const lang = view.lang;
    const p = need(view.campusRecords, 'campusRecords', 'campus-records');
    const { widgets, list: area } = frame(ctx, tr(lang, 'campusRecordsTitle', { page: p.page, pages: p.pages }), 'campus');
    const [list, bar] = buttonRow(ctx, area);
    const [owedBox, prevBox, nextBox] = cols(bar, [3, 1, 1], m.gap) as [Rect, Rect, Rect];
    const owed = p.owed.count > 0 ? tr(lang, 'campusOwed', { count: p.owed.count, amount: yuan(p.owed.amount) }) : tr(lang, 'campusNoOwed');
    widgets.push(
      label('campus.owed', owedBox, owed, { size: m.font.body, wrap: true, color: p.owed.count > 0 ? COLORS.primary : COLORS.muted }),
      button('campus.prev', prevBox, tr(lang, 'previousPage'), { type: 'records-page', page: p.page - 1 }, m.font.body, 'secondary', p.page <= 1),
      button('campus.next', nextBox, tr(lang, 'nextPage'), { type: 'records-page', page: p.page + 1 }, m.font.body, 'secondary', p.page >= p.pages),
    );
    if (p.items.length === 0) return [...widgets, label('campus.none', list, tr(lang, 'noRecords'), { size: m.font.body, color: COLORS.muted, align: 'center' })];
    const cells = p.items.map((r) => ({ time: r.time, kind: recordKindText(lang, r.kind), amount: yuan(r.amount), place: r.place, state: recordStateText(lang, r.state) }));
    if (m.orientation === 'landscape') {
      const header = lang === 'zh' ? ['时间', '类型', '金额', '终端', '状态'] : ['Time', 'Type', 'Amount', 'Kiosk', 'State'];
      const body = cells.map((c) => [c.time, c.kind, c.amount, c.place, c.state]);
      return [...widgets, table('campus.table', list, [{ weight: 5 }, { weight: 2 }, { weight: 3, align: 'right' }, { weight: 3 }, { weight: 3 }], header, body, m)];
    }
    // Too narrow for five columns: one card per record, on two lines.
    const boxes = listRows(list, cells.length, Math.round(96 * m.unit), m.gap);
    return [
      ...widgets,
      ...boxes.map((box, i) => {
        const c = cells[i]!;
        const [top, bottom] = rows(inset(box, m.gap, Math.round(m.gap / 2)), [1, 1], Math.round(m.gap / 2)) as [Rect, Rect];
        const [when, amount] = cols(top, [3, 2], m.gap) as [Rect, Rect];
        const [where, state] = cols(bottom, [3, 2], m.gap) as [Rect, Rect];
        return panel(`campus.${i}`, box, [
          label(`campus.${i}.when`, when, `${c.time}  ${c.kind}`, { size: m.font.body }),
          label(`campus.${i}.amount`, amount, c.amount, { size: m.font.body, bold: true, align: 'right' }),
          label(`campus.${i}.where`, where, c.place, { size: m.font.body, color: COLORS.muted }),
          label(`campus.${i}.state`, state, c.state, { size: m.font.body, align: 'right' }),
        ], { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) });
      }),
    ];
  },
};

export const pending: Page = {
  exit: 'back',
  render(ctx) {
    const { view, m } = ctx;
    const lang = view.lang;
    const { widgets, list } = frame(ctx, tr(lang, 'pendingTitle'), 'pending');
    const items = view.pending ?? [];
    if (items.length === 0) return [...widgets, label('pending.none', list, tr(lang, 'noPending'), { size: m.font.body, color: COLORS.muted, align: 'center' })];
    const boxes = listRows(list, items.length, Math.round(64 * m.unit), m.gap);
    return [
      ...widgets,
      ...boxes.map((box, i) => {
        const item = items[i]!;
        const [text, amountBox, go] = cols(inset(box, m.gap, Math.round(m.gap / 2)), [5, 2, -Math.round(120 * m.unit)], m.gap) as [Rect, Rect, Rect];
        return panel(`pending.${item.id}`, box, [
          label(`pending.${item.id}.label`, text, `${item.date}  ${item.label}`, { size: m.font.body, wrap: true }),
          label(`pending.${item.id}.amount`, amountBox, yuan(item.amount), { size: m.font.title, bold: true, align: 'right', color: COLORS.primary }),
          button(`pending.${item.id}.collect`, go, tr(lang, 'collect'), { type: 'collect', id: item.id }, m.font.body, 'primary'),
        ], { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) });
      }),
    ];
  },
};

export const fees: Page = {
  exit: 'back',
  render(ctx) {
    const { view, m } = ctx;
    const lang = view.lang;
    const { widgets, list } = frame(ctx, tr(lang, 'feesTitle'), 'fees');
    const items = need(view.fees, 'fees', 'fees');
    const boxes = listRows(list, items.length, Math.round(60 * m.unit), m.gap);
    const text = (item: (typeof items)[number]) => (item.amount === undefined ? item.label[lang] : `${item.label[lang]}  ${yuan(item.amount)}`);
    return [...widgets, ...boxes.map((box, i) => button(`fees.${items[i]!.id}`, box, text(items[i]!), { type: 'fee', id: items[i]!.id }, m.font.title))];
  },
};

/** Titles to pick from on one side, the open notice in full on the other. */
export const announcements: Page = {
  exit: 'back',
  render(ctx) {
    const { view, m } = ctx;
    const lang = view.lang;
    const { widgets, list } = frame(ctx, tr(lang, 'announcements'), 'announcements');
    const items = view.announcements ?? [];
    if (items.length === 0) return [...widgets, label('announcements.none', list, tr(lang, 'noAnnouncements'), { size: m.font.body, color: COLORS.muted, align: 'center' })];
    const open = items.find((a) => a.id === view.openAnnouncement) ?? items[0]!;
    const portrait = m.orientation === 'portrait';
    const [titles, reader] = (portrait ? rows(list, [2, 3], m.gap) : cols(list, [2, 3], m.gap)) as [Rect, Rect];
    const boxes = listRows(titles, items.length, Math.round(64 * m.unit), m.gap);
    const [head, body] = rows(inset(reader, m.gap), [-Math.round(m.font.title * 2.6), 1], m.gap) as [Rect, Rect];
    return [
      ...widgets,
      ...boxes.map((box, i) => {
        const a = items[i]!;
        return button(`announcements.${a.id}`, box, `${a.date} ${a.title[lang]}`, { type: 'announcement', id: a.id }, m.font.body, a === open ? 'primary' : 'secondary');
      }),
      panel('announcements.open', reader, [
        label('announcements.open.title', head, open.title[lang], { size: m.font.title, bold: true, wrap: true }),
        label('announcements.open.body', body, open.body[lang], { size: m.font.body, wrap: true }),
      ], { fill: COLORS.surface, border: COLORS.border, radius: Math.round(8 * m.unit) }),
    ];
  },
};
