/**
 * Announcements on the wire and on the kiosk: the topics and who may read them (common/api/), the payload's checks,
 * and the kiosk's board (runtime/announcements/): what it shows, in which order, next to the config file's notices,
 * and its timer at each start and end. The board's clock is injected, set so an end falls a few ms from now.
 */
import test from 'ava';
import { once } from 'node:events';
import { identityOf, mayPublish, mayReceive, maySubscribe } from '../../common/api/access.ts';
import { parseAnnouncement, parseTopic, subscriptions, topics } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import { createLogger } from '../../common/log.ts';
import { AnnouncementBoard, mergeAnnouncements } from '../../runtime/announcements/announcement-board.ts';

const ZONE = 'Asia/Shanghai';
const NOTICE = {
  id: 'A000001', from: '2026-01-10T00:00:00.000Z', until: '2026-02-16T16:00:00.000Z', publishedAt: '2026-01-09T08:12:00.000Z',
  title: { zh: '图书馆寒假开放时间', en: 'Library hours over the winter break' },
  body: { zh: '1月20日起每天9:00至17:00开放。', en: 'Open 9:00 to 17:00 daily from 20 January.' },
};
const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const ALL = (id: string) => `quancun/v1/announcements/all/${id}`;
const OWN = (id: string) => `quancun/v1/announcements/kiosk/K001/${id}`;

test('announcement topics are exactly the documented strings, and are recognised', (t) => {
  t.is(topics.announcementForAll('A000001'), 'quancun/v1/announcements/all/A000001');
  t.is(topics.announcementForKiosk('K001', 'A000001'), 'quancun/v1/announcements/kiosk/K001/A000001');
  t.deepEqual(subscriptions.announcementsFor('K001'), ['quancun/v1/announcements/all/+', 'quancun/v1/announcements/kiosk/K001/+']);
  t.deepEqual(parseTopic('quancun/v1/announcements/all/A7'), { type: 'announcement', id: 'A7' });
  t.deepEqual(parseTopic('quancun/v1/announcements/kiosk/K002/A7'), { type: 'announcement', kioskId: 'K002', id: 'A7' });
  for (const foreign of ['quancun/v1/announcements/all', 'quancun/v1/announcements/all/A7/x', 'quancun/v1/announcements/kiosk/K002',
    'quancun/v1/announcements/campus/east/A7', 'quancun/v1/announcements/all/a$b', 'quancun/v2/announcements/all/A7']) {
    t.is(parseTopic(foreign), undefined, foreign);
  }
  t.throws(() => topics.announcementForKiosk('+', 'A1'), { instanceOf: QuancunError });
});

test('a kiosk reads the announcements for all and its own, not another kiosk\'s; only the gateway publishes them', (t) => {
  const k1 = identityOf('K001')!;
  t.true(maySubscribe(k1, 'quancun/v1/announcements/all/+'));
  t.true(maySubscribe(k1, 'quancun/v1/announcements/kiosk/K001/+'));
  t.false(maySubscribe(k1, 'quancun/v1/announcements/kiosk/K002/+'));
  t.false(maySubscribe(k1, 'quancun/v1/announcements/#'));
  t.false(maySubscribe(k1, 'quancun/v1/announcements/kiosk/+/+'));
  t.true(mayReceive(k1, 'quancun/v1/announcements/kiosk/K001/A1'));
  t.false(mayReceive(k1, 'quancun/v1/announcements/kiosk/K002/A1'));
  t.false(mayPublish(k1, 'quancun/v1/announcements/kiosk/K001/A1'));
  const operator = identityOf('operator.desk')!;
  t.true(maySubscribe(operator, 'quancun/v1/announcements/#'));
  t.false(mayPublish(operator, 'quancun/v1/announcements/all/A1'));
  t.true(mayPublish(identityOf('gateway.main')!, 'quancun/v1/announcements/kiosk/K002/A1'));
});

test('a payload is checked: window, lengths, one-line titles, a few line breaks in a body', (t) => {
  t.deepEqual(parseAnnouncement(json(NOTICE)), NOTICE);
  const bad = (change: object, path: string) => {
    const err = t.throws(() => parseAnnouncement(json({ ...NOTICE, ...change })), { instanceOf: QuancunError });
    t.is(err?.code, 'LINK_BAD_MESSAGE');
    t.true(err?.message.includes(path), `${err?.message} names ${path}`);
  };
  bad({ until: NOTICE.from }, 'until');
  bad({ title: { ...NOTICE.title, zh: '标'.repeat(41) } }, 'title.zh');
  bad({ title: { ...NOTICE.title, en: 'x'.repeat(81) } }, 'title.en');
  bad({ title: { ...NOTICE.title, en: 'two\nlines' } }, 'title.en');
  bad({ body: { ...NOTICE.body, zh: '文'.repeat(241) } }, 'body.zh');
  bad({ body: { ...NOTICE.body, en: 'a\nb\nc\nd\ne' } }, 'body.en');
  bad({ body: { ...NOTICE.body, en: 'bell \u0007' } }, 'body.en');
  bad({ id: 'a/b' }, 'id');
  t.notThrows(() => parseAnnouncement(json({ ...NOTICE, title: { zh: '标'.repeat(40), en: 'x'.repeat(80) }, body: { zh: '文'.repeat(240), en: 'a\nb\nc\nd' } })));
});

/** A clock running in real time, set so that `at` is `msFromNow` ms away. */
const clockWith = (at: string, msFromNow: number) => {
  const offset = Date.parse(at) - msFromNow - Date.now();
  return () => new Date(Date.now() + offset);
};

function board(now: () => Date, lines: string[] = []) {
  const log = createLogger({ level: 'info', sink: (line) => lines.push(line) });
  const b = new AnnouncementBoard({ log, timeZone: ZONE, now });
  return b;
}

test('the board shows the current ones newest first, with the campus date of their start; an empty payload drops one', (t) => {
  const b = board(() => new Date('2026-01-15T00:00:00.000Z'));
  t.teardown(() => b.stop());
  const older = { ...NOTICE, id: 'A000002', from: '2026-01-05T17:00:00.000Z' };
  const later = { ...NOTICE, id: 'A000003', from: '2026-01-20T00:00:00.000Z' };
  b.receive(ALL('A000001'), 'A000001', json(NOTICE));
  b.receive(OWN('A000002'), 'A000002', json(older));
  b.receive(OWN('A000003'), 'A000003', json(later));
  // 2026-01-05T17:00Z is 01-06 01:00 in Beijing; A000003 has not started.
  t.deepEqual(b.current().map((a) => [a.id, a.date]), [['A000001', '01-10'], ['A000002', '01-06']]);
  t.deepEqual(b.current()[0]!.title, NOTICE.title);
  b.receive(ALL('A000001'), 'A000001', Buffer.alloc(0));
  t.deepEqual(b.current().map((a) => a.id), ['A000002']);
  b.reset();
  t.deepEqual(b.current(), []);
});

test('a malformed payload, or one whose id is not its topic\'s, is logged with its code and changes nothing', (t) => {
  const lines: string[] = [];
  const b = board(() => new Date('2026-01-15T00:00:00.000Z'), lines);
  t.teardown(() => b.stop());
  b.receive(ALL('A000001'), 'A000001', json(NOTICE));
  b.receive(ALL('A000001'), 'A000001', Buffer.from('{"id":"A000001","title":'));
  b.receive(ALL('A000009'), 'A000009', json(NOTICE));
  b.receive(ALL('A000001'), 'A000001', json({ ...NOTICE, title: { zh: '', en: 'x' } }));
  t.deepEqual(b.current().map((a) => [a.id, a.title.en]), [['A000001', NOTICE.title.en]]);
  const warnings = lines.map((l) => JSON.parse(l) as Record<string, unknown>).filter((r) => r.msg === 'ignoring a malformed announcement');
  t.deepEqual(warnings.map((w) => w.code), ['LINK_BAD_MESSAGE', 'LINK_BAD_MESSAGE', 'LINK_BAD_MESSAGE']);
  t.regex(String(warnings[1]!.error), /id: is A000001, the topic says A000009/);
});

test('the board drops one at its end by its own timer, and shows a scheduled one at its start', async (t) => {
  const now = clockWith(NOTICE.until, 40);
  const b = board(now);
  t.teardown(() => b.stop());
  const next = { ...NOTICE, id: 'A000002', from: NOTICE.until, until: '2026-03-01T00:00:00.000Z' };
  b.receive(ALL('A000001'), 'A000001', json(NOTICE));
  b.receive(ALL('A000002'), 'A000002', json(next));
  t.deepEqual(b.current().map((a) => a.id), ['A000001']);
  await once(b, 'change');
  t.deepEqual(b.current().map((a) => a.id), ['A000002'], 'one ended and the next began at the same instant');
});

test('an announcement that has already ended when it arrives is not shown', (t) => {
  const b = board(() => new Date(NOTICE.until));
  t.teardown(() => b.stop());
  b.receive(ALL('A000001'), 'A000001', json(NOTICE));
  t.deepEqual(b.current(), []);
});

test('published notices come first, newest first; the config file\'s follow in order; an id in both is the gateway\'s', (t) => {
  const published = [{ id: 'A2', date: '01-12', title: NOTICE.title, body: NOTICE.body }, { id: 'n1', date: '01-10', title: NOTICE.title, body: NOTICE.body }];
  const configured = [{ id: 'n1', date: '11-27', title: { zh: '旧', en: 'old' }, body: { zh: '', en: '' } }, { id: 'n2', date: '11-25', title: { zh: '二', en: 'two' }, body: { zh: '', en: '' } }];
  t.deepEqual(mergeAnnouncements(published, configured).map((a) => [a.id, a.date]), [['A2', '01-12'], ['n1', '01-10'], ['n2', '11-25']]);
});
