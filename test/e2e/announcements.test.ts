/**
 * Announcements end to end on a real Mosquitto: published by the gateway's announcement service, retained by the
 * broker, drawn by the kiosks built by board/kiosk-assembly.ts (K001 east, K002 west in config/embedded.json). What a
 * kiosk shows is read from the screen it drew; what the broker holds, with the test's own client. Absence at a kiosk
 * is proven by order, never by a wait: the gateway publishes one after the other, each after the broker's PUBACK, so a
 * kiosk that shows the later one would already have had the earlier one had it been sent to it.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import mqtt, { type MqttClient } from 'mqtt';
import { assembleKiosk } from '../../board/kiosk-assembly.ts';
import type { Announcement } from '../../gateway/announcements/announcement-service.ts';
import { kioskConfigFor } from '../../board/kiosk-config.ts';
import { topics } from '../../common/api/topics.ts';
import { silentLogger } from '../../common/log.ts';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { injectSimPinPadKey } from '../../provisioning/pin-key-injection.ts';
import type { KioskUi } from '../../runtime/ui/kiosk-ui.ts';
import type { KioskView } from '../../screens/view-model.ts';
import { drawnTexts, startTestScreens, touch, waitForView } from '../support/kiosk-screens.ts';
import { startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { watchKiosk } from '../support/kiosk-watch.ts';
import { startMosquitto, startSecureMosquitto } from '../support/mosquitto.ts';
import { makePki } from '../support/test-pki.ts';

const OPERATOR = 'operator.test';
const HOUR = 3_600_000;
/** Shown since 2026-01-05T17:00Z, which is 01-06 01:00 on the campus clock (Asia/Shanghai). */
const NOTICE = {
  title: { zh: '图书馆寒假开放时间调整', en: 'Library hours change over the winter break' },
  body: { zh: '1月20日至2月16日，图书馆每天9:00至17:00开放。', en: 'From 20 January to 16 February the library opens 9:00 to 17:00 daily.' },
  from: '2026-01-05T17:00:00.000Z',
};
const until = (ms: number) => new Date(Date.now() + ms).toISOString();

const shows = (id: string) => (v: KioskView) => v.screen === 'idle' && (v.announcements ?? []).some((a) => a.id === id);
const showsNot = (id: string) => (v: KioskView) => v.screen === 'idle' && !(v.announcements ?? []).some((a) => a.id === id);
const shown = (v: KioskView) => (v.announcements ?? []).map((a) => a.id);

async function startSystem(t: ExecutionContext, kioskIds: string[]) {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const system = await startTestSystem(t, { mqttUrl: broker.url, kioskIds });
  const watch = await watchKiosk(t, broker.url, ['quancun/v1/announcements/#']);
  return { broker, system, watch };
}

/** Kiosk `id` built and started now, on the system's broker and data dir, with its screens on an in-memory display. */
async function startLateKiosk(t: ExecutionContext, system: TestSystem, id: string, brokerUrl: string): Promise<KioskUi> {
  const config = kioskConfigFor(system.loaded, id, { mqttUrl: brokerUrl, dataDir: system.dataDir });
  await injectSimPinPadKey(system.loaded.config, system.loaded.config.kiosks.find((k) => k.id === id)!, system.dataDir);
  const assembled = await assembleKiosk(config, { log: silentLogger, version: 'test' });
  t.teardown(() => assembled.stop());
  await assembled.start();
  return (await assembled.attachScreens(new PngSnapshotDisplay({ width: 1024, height: 600 }))).ui;
}

test('one for all kiosks: on the idle screen in both languages uncut, at a kiosk started after it too; withdrawn, gone from both and from the broker', async (t) => {
  t.timeout(90_000);
  const { broker, system, watch } = await startSystem(t, ['K001']);
  const screens = await startTestScreens(t, system);
  const { announcements } = system.gateway;

  const published = await announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'all' } }, OPERATOR);
  t.like(published, { status: 'live', publishedBy: OPERATOR, topics: [`quancun/v1/announcements/all/${published.id}`] });
  t.like(await watch.next(topics.announcementForAll(published.id), { id: published.id }), { title: NOTICE.title, from: NOTICE.from });

  const zh = await waitForView(screens.ui, shows(published.id), 'idle with the announcement');
  t.true(drawnTexts(zh.report).includes(`01-06  ${NOTICE.title.zh}`));
  t.deepEqual(zh.report.texts.filter((x) => x.truncated).map((x) => x.id), []);
  touch(screens, 'header.lang');
  const en = await waitForView(screens.ui, (v) => shows(published.id)(v) && v.lang === 'en', 'the English idle screen');
  t.true(drawnTexts(en.report).includes(`01-06  ${NOTICE.title.en}`));
  t.deepEqual(en.report.texts.filter((x) => x.truncated).map((x) => x.id), []);

  // K002 connects after the publication: the broker hands it the retained copy.
  const late = await startLateKiosk(t, system, 'K002', broker.url);
  await waitForView(late, shows(published.id), 'K002 started later, with the announcement');

  t.like(await announcements.withdraw(published.id, OPERATOR), { status: 'withdrawn', withdrawnBy: OPERATOR, cleared: true, topics: [] });
  await watch.next(topics.announcementForAll(published.id), (body) => Object.keys(body).length === 0);
  await waitForView(screens.ui, showsNot(published.id), 'K001 idle without it');
  await waitForView(late, showsNot(published.id), 'K002 idle without it');
  t.is((await t.throwsAsync(announcements.withdraw(published.id, OPERATOR)))?.message, `announcement ${published.id} is already withdrawn`);
});

test('targeted by kiosk id or by campus: only the kiosks it names show it, newest first', async (t) => {
  t.timeout(90_000);
  const { system } = await startSystem(t, ['K001', 'K002']);
  const k1 = await startTestScreens(t, system);
  const k2 = (await system.kiosks.get('K002')!.assembled.attachScreens(new PngSnapshotDisplay({ width: 1024, height: 600 }))).ui;
  const { announcements } = system.gateway;

  const forK002 = await announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'kiosks', kioskIds: ['K002'] } }, OPERATOR);
  t.deepEqual(forK002.topics, [`quancun/v1/announcements/kiosk/K002/${forK002.id}`]);
  const forWest = await announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'campus', campus: 'west' } }, OPERATOR);
  t.deepEqual(forWest.topics, [`quancun/v1/announcements/kiosk/K002/${forWest.id}`]);
  const forAll = await announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'all' } }, OPERATOR);

  const atK001 = await waitForView(k1.ui, shows(forAll.id), 'K001 with the one for all');
  t.deepEqual(shown(atK001.view), [forAll.id], 'K001 has neither K002\'s nor the west campus\'s');
  const atK002 = await waitForView(k2, shows(forAll.id), 'K002 with the one for all');
  t.deepEqual(shown(atK002.view), [forAll.id, forWest.id, forK002.id]);

  const err = await t.throwsAsync(announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'campus', campus: 'north' } }, OPERATOR));
  t.like(err, { code: 'ANNOUNCEMENT_INVALID', message: 'target.campus: no kiosk stands on campus "north" (campuses: east, west)' });
  t.like(await t.throwsAsync(announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'kiosks', kioskIds: ['K001', 'K404'] } }, OPERATOR)),
    { code: 'ANNOUNCEMENT_INVALID', message: 'target.kioskIds: no kiosk K404 in the config' });
  t.like(await t.throwsAsync(announcements.publish({ ...NOTICE, until: NOTICE.from, target: { kind: 'all' } }, OPERATOR)),
    { code: 'ANNOUNCEMENT_INVALID', message: 'until: must be after from and after now' });
  t.is((await announcements.list()).length, 3, 'nothing refused was kept');
});

test('at its end the kiosk drops it by its own clock while offline and the gateway clears it; one withdrawn while a kiosk was away is gone when it is back', async (t) => {
  t.timeout(90_000);
  const { system, watch } = await startSystem(t, ['K001']);
  const screens = await startTestScreens(t, system);
  const { announcements } = system.gateway;
  const { kiosk, network } = system.kiosks.get('K001')!;

  const brief = await announcements.publish({ ...NOTICE, until: until(3000), target: { kind: 'kiosks', kioskIds: ['K001'] } }, OPERATOR);
  const cleared = new Promise<Announcement>((resolve) => announcements.on('change', (a) => a.id === brief.id && a.cleared && resolve(a)));
  const kept = await announcements.publish({ ...NOTICE, until: until(HOUR), target: { kind: 'all' } }, OPERATOR);
  await waitForView(screens.ui, (v) => shows(brief.id)(v) && shows(kept.id)(v), 'idle with both');

  network!.unplug();
  await waitForView(screens.ui, (v) => v.screen === 'out-of-service', 'out of service without its link');
  const ended = new Promise<void>((resolve) => {
    const check = () => {
      if (kiosk.announcements.current().some((a) => a.id === brief.id)) return;
      kiosk.announcements.off('change', check);
      resolve();
    };
    kiosk.announcements.on('change', check);
  });
  await ended;
  t.false(kiosk.link.online, 'dropped while offline');
  t.deepEqual(kiosk.announcements.current().map((a) => a.id), [kept.id]);
  await watch.next(topics.announcementForKiosk('K001', brief.id), (body) => Object.keys(body).length === 0);
  t.like(await cleared, { status: 'expired', topics: [] });

  await announcements.withdraw(kept.id, OPERATOR);
  network!.replug();
  const back = await waitForView(screens.ui, (v) => v.screen === 'idle', 'idle again');
  t.deepEqual(shown(back.view), [], 'neither the expired nor the withdrawn one');
});

test('the broker keeps a kiosk from reading another kiosk\'s announcements (Mosquitto ACL from common/api/access.ts)', async (t) => {
  const pki = await makePki(t);
  const broker = await startSecureMosquitto(pki, { gateways: ['gateway.main'], operators: [], revokedKiosks: [] });
  t.teardown(() => broker.stop());
  const connect = async (cn: string): Promise<MqttClient> => {
    const files = pki.client(cn);
    const client = await mqtt.connectAsync(broker.url, {
      protocolVersion: 4, reconnectPeriod: 0, clientId: cn, ca: readFileSync(files.ca), cert: readFileSync(files.cert), key: readFileSync(files.key),
    });
    t.teardown(() => client.endAsync(true));
    return client;
  };
  const payload = (id: string) => JSON.stringify({ id, ...NOTICE, until: until(HOUR), publishedAt: new Date().toISOString() });
  const gateway = await connect('gateway.main');
  await gateway.publishAsync(topics.announcementForKiosk('K001', 'A000001'), payload('A000001'), { qos: 1, retain: true });
  await gateway.publishAsync(topics.announcementForKiosk('K002', 'A000002'), payload('A000002'), { qos: 1, retain: true });

  const k2 = await connect('K002');
  const received: string[] = [];
  k2.on('message', (topic) => received.push(topic));
  // Mosquitto refuses the subscription or grants it and delivers nothing; either way K001's copy must not arrive.
  await k2.subscribeAsync(['quancun/v1/announcements/kiosk/K001/+', 'quancun/v1/announcements/#'], { qos: 1 }).catch(() => {});
  const own = new Promise<void>((resolve) => k2.on('message', (topic) => topic.endsWith('/K002/A000002') && resolve()));
  await k2.subscribeAsync('quancun/v1/announcements/kiosk/K002/+', { qos: 1 });
  await own;
  t.deepEqual(received.filter((topic) => !topic.includes('/K002/')), []);
});
