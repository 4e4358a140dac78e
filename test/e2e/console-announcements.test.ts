/**
 * The console's announcements section over HTTP (ConsoleClient, as the page and the CLI send it) on the embedded
 * system with a real Mosquitto: an operator publishes one for campus east and K001 (east in config/embedded.json)
 * draws it; a viewer sees the list but the server refuses their publish and withdrawal; bad input has its code and
 * HTTP status; the withdrawal takes it off the screen; the audit log holds each action with its result.
 */
import test from 'ava';
import type { QuancunError } from '../../common/errors.ts';
import type { Announcement } from '../../gateway/announcements/announcement-service.ts';
import { CONSOLE_USERS, startConsoleSystem } from '../support/console.ts';
import { startTestScreens, waitForView } from '../support/kiosk-screens.ts';
import { startMosquitto } from '../support/mosquitto.ts';

const DRAFT = {
  title: { zh: '第二食堂圈存机迁至一楼大厅', en: 'The Canteen 2 kiosk has moved to the ground-floor hall' },
  body: { zh: '自12月10日起，第二食堂圈存机迁至一楼大厅东侧。', en: 'From 10 December the Canteen 2 kiosk stands on the east side of the ground-floor hall.' },
  target: { kind: 'campus', campus: 'east' },
};
const failure = (p: Promise<unknown>) => p.then(() => ({ code: 'ok', status: 200 }), (err: QuancunError) => ({ code: err.code, status: err.details.status }));

test('an operator publishes and withdraws from the console; a viewer only reads; every action is audited', async (t) => {
  t.timeout(90_000);
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const s = await startConsoleSystem(t, { mqttUrl: broker.url });
  const screens = await startTestScreens(t, s);
  const operator = await s.signIn('operator');
  const viewer = await s.signIn('viewer');

  const until = new Date(Date.now() + 3_600_000).toISOString();
  const { announcement } = await operator.post<{ announcement: Announcement }>('announcements', { ...DRAFT, until });
  t.like(announcement, { status: 'live', publishedBy: CONSOLE_USERS.operator.name, target: { kind: 'campus', campus: 'east' }, title: DRAFT.title });
  t.deepEqual(announcement.topics, [`quancun/v1/announcements/kiosk/K001/${announcement.id}`]);
  await waitForView(screens.ui, (v) => v.screen === 'idle' && (v.announcements ?? []).some((a) => a.id === announcement.id && a.title.zh === DRAFT.title.zh),
    'K001 idle with the console\'s announcement');

  const later = new Date(Date.now() + 86_400_000).toISOString();
  const scheduled = (await operator.post<{ announcement: Announcement }>('announcements', { ...DRAFT, from: later, until: new Date(Date.now() + 2 * 86_400_000).toISOString(), target: { kind: 'all' } })).announcement;
  t.is(scheduled.status, 'scheduled');

  const seen = await viewer.get<{ announcements: Announcement[]; campuses: string[]; kiosks: Array<{ id: string; campus?: string }> }>('announcements');
  t.deepEqual(seen.announcements.map((a) => [a.id, a.status]), [[scheduled.id, 'scheduled'], [announcement.id, 'live']]);
  t.deepEqual(seen.campuses, ['east', 'west']);
  t.deepEqual(seen.kiosks, [{ id: 'K001', campus: 'east' }, { id: 'K002', campus: 'west' }]);
  t.like(await viewer.get<{ announcement: Announcement }>(`announcements/${announcement.id}`), { announcement: { id: announcement.id, status: 'live' } });

  t.deepEqual(await failure(viewer.post('announcements', { ...DRAFT, until })), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.deepEqual(await failure(viewer.post(`announcements/${announcement.id}/withdraw`)), { code: 'CONSOLE_FORBIDDEN', status: 403 });
  t.deepEqual(await failure(operator.post('announcements', { ...DRAFT, title: { ...DRAFT.title, zh: '长'.repeat(41) }, until })), { code: 'ANNOUNCEMENT_INVALID', status: 400 });
  t.deepEqual(await failure(operator.post('announcements', { ...DRAFT, until, target: { kind: 'everywhere' } })), { code: 'ANNOUNCEMENT_INVALID', status: 400 });
  t.deepEqual(await failure(operator.post('announcements/A999999/withdraw')), { code: 'ANNOUNCEMENT_NOT_FOUND', status: 404 });
  t.deepEqual(await failure(viewer.get('announcements/A999999')), { code: 'ANNOUNCEMENT_NOT_FOUND', status: 404 });

  const withdrawn = (await operator.post<{ announcement: Announcement }>(`announcements/${announcement.id}/withdraw`)).announcement;
  t.like(withdrawn, { status: 'withdrawn', withdrawnBy: CONSOLE_USERS.operator.name, cleared: true });
  await waitForView(screens.ui, (v) => v.screen === 'idle' && !(v.announcements ?? []).some((a) => a.id === announcement.id), 'K001 idle without it');
  t.deepEqual(await failure(operator.post(`announcements/${announcement.id}/withdraw`)), { code: 'ANNOUNCEMENT_STATE', status: 409 });
  t.is((await viewer.get<{ announcements: Announcement[] }>('announcements')).announcements.length, 2, 'nothing refused was kept');

  const { entries } = await viewer.get<{ entries: Array<{ user: string; action: string; result: string; code?: string; target: Record<string, string> }> }>('audit');
  const ours = entries.filter((e) => e.action.startsWith('announcement.')).map((e) => [e.user, e.action, e.result, e.code ?? '', e.target.id ?? '']).reverse();
  const [olga, vera] = [CONSOLE_USERS.operator.name, CONSOLE_USERS.viewer.name];
  t.deepEqual(ours, [
    [olga, 'announcement.publish', 'ok', '', ''],
    [olga, 'announcement.publish', 'ok', '', ''],
    [vera, 'announcement.publish', 'refused', 'CONSOLE_FORBIDDEN', ''],
    [vera, 'announcement.withdraw', 'refused', 'CONSOLE_FORBIDDEN', announcement.id],
    [olga, 'announcement.publish', 'failed', 'ANNOUNCEMENT_INVALID', ''],
    [olga, 'announcement.publish', 'failed', 'ANNOUNCEMENT_INVALID', ''],
    [olga, 'announcement.withdraw', 'failed', 'ANNOUNCEMENT_NOT_FOUND', 'A999999'],
    [olga, 'announcement.withdraw', 'ok', '', announcement.id],
    [olga, 'announcement.withdraw', 'failed', 'ANNOUNCEMENT_STATE', announcement.id],
  ]);
});
