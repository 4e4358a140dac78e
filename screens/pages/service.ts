/** When the kiosk cannot serve: out of service for cardholders, and the technician's maintenance screen. */
import type { Rect } from '../layout.ts';
import { cols, grid, inset, rows } from '../layout.ts';
import { COLORS } from '../theme.ts';
import { button, label } from '../widgets.ts';
import type { MaintenanceCommand } from '../view-model.ts';
import { errorText, tr, type StringKey } from '../strings.ts';
import { banner, table } from './parts.ts';
import { need, type Page } from './chrome.ts';

export const outOfService: Page = {
  // The technician's way in is on this screen too: a door opened for service puts the kiosk here.
  technician: true,
  render({ view, m, content }) {
    const lang = view.lang;
    const [title, reason, hint] = rows(inset(content, m.gap * 3), [2, 1, 1], m.gap) as [Rect, Rect, Rect];
    return [
      banner('out-of-service.title', title, tr(lang, 'outOfService'), 'error', m, m.font.huge),
      label('out-of-service.reason', reason, view.outOfService ? errorText(lang, view.outOfService) : '', { size: m.font.title, align: 'center', wrap: true }),
      label('out-of-service.hint', hint, view.outOfServiceNote ?? tr(lang, 'outOfServiceHint'), { size: m.font.body, align: 'center', color: COLORS.muted, wrap: true }),
    ];
  },
};

const COMMANDS: Array<[MaintenanceCommand, 'reboot' | 'testPrint' | 'resync' | 'exit']> = [
  ['resync', 'resync'],
  ['test-print', 'testPrint'],
  ['reboot', 'reboot'],
  ['exit', 'exit'],
];

const STATUS = { ok: 'statusOk', fault: 'statusFault', up: 'statusUp', down: 'statusDown', 'paper-out': 'statusPaperOut' } as const satisfies Record<string, StringKey>;

export const maintenance: Page = {
  render({ view, m, content }) {
    const lang = view.lang;
    const info = need(view.maintenance, 'maintenance', 'maintenance');
    const portrait = m.orientation === 'portrait';
    const [status, actions] = (portrait ? rows(content, [3, 1], m.gap) : cols(content, [3, 1], m.gap)) as [Rect, Rect];
    const ok = (v: keyof typeof STATUS): string => tr(lang, STATUS[v]);
    const body: string[][] = [
      [tr(lang, 'version'), info.version],
      [tr(lang, 'uptime'), info.uptime],
      [tr(lang, 'reader'), ok(info.reader)],
      [tr(lang, 'pinPad'), ok(info.pinPad)],
      [tr(lang, 'printer'), ok(info.printer)],
      [tr(lang, 'network'), ok(info.network)],
      [tr(lang, 'journalOpen'), String(info.journalOpen)],
      [tr(lang, 'lastError'), info.lastError ?? '—'],
    ];
    const cells = portrait ? grid(actions, 2, 2, m.gap) : grid(actions, 1, 4, m.gap);
    return [
      table('maintenance.status', status, [{ weight: 2 }, { weight: 3 }], [tr(lang, 'maintenanceTitle'), `${tr(lang, 'kiosk')} ${view.kioskId}`], body, m),
      ...COMMANDS.map(([command, key], i) => button(`maintenance.${command}`, cells[i]!, tr(lang, key), { type: 'maintenance', command }, m.font.body, command === 'reboot' ? 'danger' : 'secondary')),
    ];
  },
};
