/**
 * The frame around every screen: header (campus name, clock, language switch), footer (kiosk id, inactivity
 * countdown, cancel or back). A page fills only the content box between them.
 */
import type { Rect } from '../layout.ts';
import { cols, inset, rows } from '../layout.ts';
import { COLORS, type Metrics } from '../theme.ts';
import { button, label, panel, type Widget } from '../widgets.ts';
import type { KioskView } from '../view-model.ts';
import { tr } from '../strings.ts';
import { QuancunError } from '../../common/errors.ts';

export interface PageContext {
  view: KioskView;
  m: Metrics;
  content: Rect;
}

export interface Page {
  render(ctx: PageContext): Widget[];
  /** What the footer's right button does: leave the session, or go one step back. */
  exit?: 'cancel' | 'back';
  /** Whether the footer's kiosk id opens the technician PIN (idle and out of service). */
  technician?: boolean;
}

export function chrome(view: KioskView, m: Metrics, page: Page): Widget[] {
  const screen = { x: 0, y: 0, w: m.width, h: m.height };
  const [header, body, footer] = rows(screen, [-m.headerH, 1, -m.footerH]) as [Rect, Rect, Rect];
  const lang = view.lang;
  const [name, clock, langBox] = cols(inset(header, m.gap, Math.round(m.gap * 0.4)), [5, 3, -Math.round(120 * m.unit)], m.gap) as [Rect, Rect, Rect];
  const headerWidgets = panel('header', header, [
    label('header.campus', name, view.campusName[lang], { size: m.font.title, color: COLORS.headerText, bold: true }),
    label('header.clock', clock, view.clock, { size: m.font.body, color: COLORS.headerText, align: 'right' }),
    button('header.lang', langBox, tr(lang, 'otherLang'), { type: 'lang', lang: lang === 'zh' ? 'en' : 'zh' }, m.font.body),
  ], { fill: COLORS.header });

  const [idBox, countBox, exitBox] = cols(inset(footer, m.gap, Math.round(m.gap * 0.4)), [2, 4, -Math.round(160 * m.unit)], m.gap) as [Rect, Rect, Rect];
  const kioskText = `${tr(lang, 'kiosk')} ${view.kioskId}`;
  const footerChildren: Widget[] = [
    page.technician
      ? button('footer.kiosk', idBox, kioskText, { type: 'technician' }, m.font.small)
      : label('footer.kiosk', idBox, kioskText, { size: m.font.small, color: COLORS.muted }),
  ];
  if (view.inactivitySecondsLeft !== undefined) {
    const [dial, text] = cols(countBox, [-countBox.h, 1], m.gap) as [Rect, Rect];
    footerChildren.push(
      { kind: 'countdown', id: 'footer.countdown', rect: dial, seconds: view.inactivitySecondsLeft, tone: view.inactivitySecondsLeft <= 10 ? 'warn' : 'info' },
      label('footer.countdown.text', text, tr(lang, 'returnIn', { n: view.inactivitySecondsLeft }), { size: m.font.small, color: COLORS.muted }),
    );
  }
  if (page.exit) footerChildren.push(button(`footer.${page.exit}`, exitBox, tr(lang, page.exit), { type: page.exit }, m.font.body, page.exit === 'cancel' ? 'danger' : 'secondary'));

  return [
    panel('background', screen, [], { fill: COLORS.background }),
    headerWidgets,
    panel('content', body, page.render({ view, m, content: inset(body, m.gap) })),
    panel('footer', footer, footerChildren, { fill: COLORS.surface }),
  ];
}

/** A screen whose state the runtime did not provide is a runtime bug: say which field is missing. */
export function need<T>(value: T | undefined, field: string, screen: string): T {
  if (value === undefined) throw new QuancunError('INTERNAL', `screen ${screen} needs view.${field}`);
  return value;
}
