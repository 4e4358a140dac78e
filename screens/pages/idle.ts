/** Attract screen: time, campus, notices and "tap your card" for people in a hurry. */
import type { Rect } from '../layout.ts';
import { cols, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { label, panel, type Widget } from '../widgets.ts';
import { tr } from '../strings.ts';
import type { Page } from './chrome.ts';

export const idle: Page = {
  technician: true,
  render({ view, m, content }) {
    const lang = view.lang;
    const portrait = m.orientation === 'portrait';
    const [main, side] = (portrait ? rows(content, [3, 2], m.gap) : cols(content, [3, 2], m.gap)) as [Rect, Rect];
    const [time, date, logo, tap, hint] = rows(main, [3, 1, 3, 2, 1], Math.round(m.gap / 2)) as [Rect, Rect, Rect, Rect, Rect];
    const [day = '', hm = ''] = view.clock.split(' ');
    const widgets: Widget[] = [
      label('idle.time', time, hm, { size: Math.round(m.font.huge * 1.6), align: 'center', bold: true }),
      label('idle.date', date, day, { size: m.font.body, align: 'center', color: COLORS.muted }),
      label('idle.tap', tap, tr(lang, 'tapCard'), { size: m.font.big, align: 'center', bold: true, color: COLORS.primary, wrap: true }),
      label('idle.hint', hint, tr(lang, 'tapCardHint'), { size: m.font.body, align: 'center', color: COLORS.muted }),
    ];
    if (view.campusLogo) widgets.push({ kind: 'image', id: 'idle.logo', rect: logo, png: view.campusLogo });

    const notices = view.announcements ?? [];
    const [title, list] = rows(inset(side, m.gap), [-Math.round(m.font.title * 1.6), 1], m.gap) as [Rect, Rect];
    const shown = notices.slice(0, 4);
    const items = shown.length === 0
      ? [label('idle.notices.none', list, tr(lang, 'noAnnouncements'), { size: m.font.body, color: COLORS.muted })]
      : rows(list, shown.map(() => 1), m.gap).map((r, i) =>
          label(`idle.notice.${shown[i]!.id}`, r, `${shown[i]!.date}  ${shown[i]!.title[lang]}`, { size: m.font.body, wrap: true }));
    widgets.push(panel('idle.notices', side, [label('idle.notices.title', title, tr(lang, 'announcements'), { size: m.font.title, bold: true }), ...items], {
      fill: COLORS.surface,
      border: COLORS.border,
      radius: Math.round(8 * m.unit),
    }));
    return widgets;
  },
};
