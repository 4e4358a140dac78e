/**
 * The operator console as a person uses it: Debian's Chromium (playwright-core) signed in as an operator on a gateway
 * whose kiosk K001 runs on a real Mosquitto and draws its screens into the live view. Each step is done with the
 * page's own buttons and forms and checked where it lands — the kiosk's drawn screen, the bank simulator, the
 * broker. A viewer is refused every operator action by the server itself, every action is in the audit log, and
 * /metrics counts the loads made. With QUANCUN_CONSOLE_SHOTS=<dir> the screenshots of each page are kept there
 * (docs/console/ holds the committed ones).
 */
import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { QuancunError } from '../../common/errors.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { SECTIONS } from '../../gateway/console/sections.ts';
import type { ConsoleRoutes } from '../../gateway/console/section.ts';
import type { Gateway } from '../../gateway/gateway.ts';
import { startLiveSimulator } from '../../sim/live-simulator.ts';
import { injectFileDifferences } from '../../sim/bank/business-day.ts';
import { bankFileDir } from '../../gateway/reconcile/run-reconcile.ts';
import { campusTime } from '../../common/campus-time.ts';
import { openChromium } from '../support/chromium.ts';
import { makeCommandCerts } from '../support/command-certs.ts';
import { CONSOLE_USERS, TEST_CONSOLE, withConsoleUsers } from '../support/console.ts';
import { drawnTexts, waitForView } from '../support/kiosk-screens.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';
import { tempDir } from '../support/temp-dir.ts';

// From config/embedded.json: 张三's card bound to bank account 6217000010000000018, PIN 123456.
const ZHANG = { asn: '31030000002023010001', pin: '123456' };
const PAN = '6217000010000000018';
const MASKED_PAN = '621700*********0018';
const TODAY = () => campusTime(new Date(), 'Asia/Shanghai').date;

/** Every action route of every section with the role it needs, as the sections declare them to a recorder. */
function actionRoutes(gateway: Gateway): Array<{ path: string; role: string; action: string }> {
  const found: Array<{ path: string; role: string; action: string }> = [];
  const recorder: ConsoleRoutes = {
    read: () => {}, download: () => {}, push: () => {},
    act: (path, role, action) => void found.push({ path, role, action }),
  };
  for (const section of SECTIONS) section.routes(recorder, gateway);
  return found;
}

test('an operator runs the console in Chromium: fleet, a load\'s story, money owed, reconciliation, announcements, out of service; a viewer can do none of it', async (t) => {
  t.timeout(240_000);
  const shots = process.env.QUANCUN_CONSOLE_SHOTS ?? (await tempDir(t, 'quancun-console-shots-'));
  mkdirSync(shots, { recursive: true });
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const certs = await makeCommandCerts(t);
  const dir = await tempDir(t, 'quancun-console-browser-');
  const system = await startTestSystem(t, {
    mqttUrl: broker.url,
    edit(c) {
      c.console = { ...TEST_CONSOLE };
      c.commands = { signer: certs.gatewayFiles, timeoutSeconds: 30 };
      // A silent bank costs each try 2.5 s, and the queue waits a minute between tries: the operator's retry is what ends it.
      const profile = JSON.parse(readFileSync(bankProfilePath(c.banks[0]!.profile), 'utf8')) as { timeouts: Record<string, number> };
      profile.timeouts = { ...profile.timeouts, responseMs: 2500 };
      writeFileSync(join(dir, 'bank-profile.json'), JSON.stringify(profile));
      c.banks[0]!.profile = join(dir, 'bank-profile.json');
      c.reversals = { minMs: 60_000, maxMs: 60_000, attentionAfter: 3 };
    },
    editKiosk(_id, k) {
      k.commands = { trustedCa: certs.caPath };
      k.telemetry = { intervalSeconds: 1 };
    },
  });
  const s = await withConsoleUsers(system);
  const k001 = system.kiosks.get('K001')!;
  const live = await startLiveSimulator({ system, kioskId: 'K001', port: 0 });
  t.teardown(() => live.stop());
  const scrape = async () => parsePrometheusText(await (await fetch(`${s.consoleUrl}/metrics`)).text());
  const { context, page, errors } = await openChromium(t);
  const liveView = await context.newPage();
  await liveView.goto(live.url);
  const shot = (p: Page, name: string) => p.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
  const test = (id: string) => page.locator(`[data-test="${id}"]`);

  // Sign in as the operator.
  await page.goto(s.consoleUrl);
  await shot(page, 'sign-in');
  await test('user').fill(CONSOLE_USERS.operator.name);
  await test('password').fill(CONSOLE_USERS.operator.password);
  await test('sign-in').click();
  await test('who').waitFor();
  t.is(await test('who').textContent(), 'olga (operator)');

  // Fleet: K001 goes offline when its cable is cut, and comes back.
  await page.goto(`${s.consoleUrl}/#/fleet`);
  const k001Online = page.locator('[data-row="K001"] [data-test="kiosk-online"]');
  await k001Online.and(page.locator('[data-state="online"]')).waitFor();
  k001.network!.unplug();
  await k001Online.and(page.locator('[data-state="offline"]')).waitFor();
  await shot(page, 'fleet-offline');
  k001.network!.replug();
  await k001Online.and(page.locator('[data-state="online"]')).waitFor();

  // A completed load's story, found by the card's last digits: ISO 8583 decoded, the PAN masked, no PIN block.
  const done = await loadAt(system, 'K001', ZHANG, 1000);
  t.is(done.state, 'completed');
  k001.reader!.remove();
  await page.goto(`${s.consoleUrl}/#/transactions`);
  await test('txn-card').fill('0018');
  await test('txn-search-submit').click();
  await page.locator(`[data-test="txn-table"] [data-row="${done.txnId}"] [data-test="txn-link"]`).click();
  await page.locator('[data-test="iso-message"][data-mti="0200"]').waitFor();
  const story = (await page.locator('main').textContent())!;
  t.true(story.includes(MASKED_PAN), 'the masked card number');
  t.false(story.includes(PAN), 'never the full card number');
  t.regex(story, /PIN block, not kept/);
  t.regex(story, /0210/);
  await shot(page, 'transaction-story');

  // Fleet's kiosk page: its telemetry charts and today's load.
  await page.goto(`${s.consoleUrl}/#/fleet/K001`);
  await test('kiosk-telemetry').waitFor();
  await shot(page, 'fleet-kiosk');
  await page.goto(`${s.consoleUrl}/#/fleet`);
  await page.locator('[data-row="K001"] [data-test="kiosk-today"]').waitFor();
  await shot(page, 'fleet');

  // Banks.
  await page.goto(`${s.consoleUrl}/#/banks`);
  await page.locator('[data-test="bank-session"][data-state="signed-on"]').waitFor();
  await shot(page, 'banks');

  // A reversal waits on a silent bank; once the bank answers again, the operator retries it and it is confirmed.
  system.bank.setBehaviour({ silence: true });
  const failedTry = new Promise<void>((resolve) => system.gateway.loads.reversals.once('failed', () => resolve()));
  const unanswered = await loadAt(system, 'K001', ZHANG, 1000);
  k001.reader!.remove();
  t.is(unanswered.code, 'BANK_TIMEOUT');
  await failedTry;
  await page.goto(`${s.consoleUrl}/#/owed`);
  const owedRow = page.locator(`[data-test="owed-reversals"] [data-row="${unanswered.txnId}"]`);
  await owedRow.waitFor();
  await shot(page, 'owed');
  system.bank.setBehaviour({ silence: false });
  await owedRow.locator('[data-test="retry-reversal"]').click();
  await owedRow.waitFor({ state: 'detached' });
  t.is((await system.gateway.loads.loads.require(unanswered.txnId!)).state, 'reversed');

  // Reconciliation of today while loads go on. Two more loads, then the bank's file for today as the simulator writes
  // it, with the bank's own errors injected: one campus load left out, one amount changed, one debit the campus never
  // sent (STAN 999001). A load is waiting for the bank when the operator starts the run; it completes all the same.
  const plain = [done.txnId!];
  for (const amount of [500, 600]) {
    const more = await loadAt(system, 'K001', ZHANG, amount);
    k001.reader!.remove();
    plain.push(more.txnId!);
  }
  const bankConfig = system.loaded.config.banks[0]!;
  const accounts = new Map(system.loaded.config.cardholders.map((c) => [c.bankPan, c.campusAccount]));
  const records = system.bank.dayRecords(TODAY()).map((r) => ({ ...r, campusAccount: accounts.get(r.pan) ?? '' }));
  const file = injectFileDifferences(records, new Set(plain));
  system.bank.writeDayFile(bankFileDir(system.dataDir, bankConfig.id), TODAY(), bankConfig.terminalId, file.records);
  const bankOnly = file.injected.find((i) => i.class === 'bank-only')!.stan!;
  system.bank.setBehaviour({ latencyMs: 2000 }, { ops: ['transfer'], count: 1 });
  const bankPending = new Promise<void>((resolve) => system.gateway.loads.loads.on('changed', (r) => r.state === 'bank-pending' && resolve()));
  const during = loadAt(system, 'K001', ZHANG, 300);
  await bankPending;
  await page.goto(`${s.consoleUrl}/#/reconcile`);
  await test('recon-start').click();
  await page.waitForURL(/#\/reconcile\/unionpay\./, { timeout: 60_000 });
  const duringOutcome = await during;
  t.is(duringOutcome.state, 'completed', JSON.stringify(duringOutcome));
  k001.reader!.remove();
  const bankOnlyRow = page.locator(`[data-test="recon-class-bank-only"] [data-row="${bankOnly}"]`);
  await bankOnlyRow.locator('[data-test="recon-status"]').filter({ hasText: 'open' }).waitFor();
  await shot(page, 'reconcile');
  await bankOnlyRow.locator('[data-test="recon-note"]').fill('ticket 4711: refunded by the bank');
  await bankOnlyRow.locator('[data-test="recon-resolve"]').click();
  await bankOnlyRow.locator('[data-test="recon-status"]').filter({ hasText: 'resolved' }).waitFor();
  t.regex((await bankOnlyRow.textContent())!, /ticket 4711: refunded by the bank \(olga\)/);

  // An announcement published from the console shows on the kiosk's screen.
  await page.goto(`${s.consoleUrl}/#/announcements`);
  await test('announcement-title-zh').fill('今晚22:00系统维护');
  await test('announcement-title-en').fill('Maintenance at 22:00 tonight');
  await test('announcement-body-zh').fill('维护期间暂停圈存。');
  await test('announcement-body-en').fill('Loads pause during maintenance.');
  await test('announcement-until').fill(localInput(new Date(Date.now() + 3 * 3600_000)));
  const framesNow = () => liveView.evaluate(() => Number(document.body.dataset.frames));
  /** Resolves once the live view page has drawn a frame sent after `before`. */
  const liveFrameAfter = (before: number) => liveView.waitForFunction((n) => Number(document.body.dataset.frames) > n, before);
  let frames = await framesNow();
  await test('announcement-publish').click();
  const announced = await waitForView(live.ui, (v) => v.screen === 'idle' && (v.announcements ?? []).some((a) => a.title.zh === '今晚22:00系统维护'), 'the announcement on the idle screen');
  t.true(drawnTexts(announced.report).some((text) => text.includes('今晚22:00系统维护')), 'drawn on the kiosk screen');
  await liveFrameAfter(frames);
  await shot(liveView, 'kiosk-announcement');
  await shot(page, 'announcements');

  // Out of service from the kiosk's page: the kiosk's screen changes.
  await page.goto(`${s.consoleUrl}/#/fleet/K001`);
  await test('oos-reason').fill('设备检修 until 14:00');
  frames = await framesNow();
  await test('cmd-out-of-service').click();
  const oos = await waitForView(live.ui, (v) => v.screen === 'out-of-service', 'the out-of-service screen');
  t.is(oos.view.outOfServiceNote, '设备检修 until 14:00');
  await page.locator('[data-test="command-result"]').filter({ hasText: 'done' }).first().waitFor();
  await liveFrameAfter(frames);
  await shot(liveView, 'kiosk-out-of-service');
  await test('cmd-in-service').click();
  await waitForView(live.ui, (v) => v.screen === 'idle', 'in service again');

  // A viewer is refused every operator action by the server, whatever the page shows.
  const viewer = await s.signIn('viewer');
  const routes = actionRoutes(system.gateway).filter((r) => r.role !== 'viewer');
  t.true(routes.length >= 8, `${routes.length} action routes`);
  for (const route of routes) {
    const path = route.path.replace(':id', 'K001').replace(/:[a-z]+/gi, 'x');
    const code = await viewer.post(path, {}).then(() => 'ok', (err: QuancunError) => err.code);
    t.is(code, 'CONSOLE_FORBIDDEN', route.path);
  }

  // Every action is in the audit log, on the page too.
  const admin = await s.signIn('admin');
  const { entries } = await admin.get<{ entries: Array<{ user: string; action: string; result: string }> }>('audit');
  const did = new Set(entries.filter((e) => e.user === 'olga' && e.result === 'ok').map((e) => e.action));
  for (const action of ['console.sign-in', 'owed.retry-reversal', 'reconcile.run', 'reconcile.resolve', 'announcement.publish', 'kiosk.command']) {
    t.true(did.has(action), action);
  }
  const refused = entries.filter((e) => e.user === 'vera' && e.result === 'refused').map((e) => e.action).sort();
  t.deepEqual(refused, routes.map((r) => r.action).sort());
  await page.goto(`${s.consoleUrl}/#/audit`);
  await page.locator('[data-test="audit-table"]').filter({ hasText: 'announcement.publish' }).waitFor();
  await shot(page, 'audit');

  // /metrics parses as the Prometheus text format and counts the loads made.
  const metrics = await scrape();
  t.is(sampleValue(metrics, 'quancun_loads_total', { outcome: 'completed' }), 4);
  t.is(sampleValue(metrics, 'quancun_loads_total', { outcome: 'reversed' }), 1);
  t.is(sampleValue(metrics, 'quancun_kiosks_online'), 1);

  // In English, on a tablet, and the admin's users page.
  await page.goto(`${s.consoleUrl}/#/fleet`);
  await test('lang').click();
  await page.locator('header nav a', { hasText: 'Fleet' }).waitFor();
  await page.locator('[data-row="K001"]').waitFor();
  await shot(page, 'fleet-en');
  await page.setViewportSize({ width: 820, height: 1180 });
  await page.goto(`${s.consoleUrl}/#/fleet/K001`);
  await test('kiosk-telemetry').waitFor();
  await shot(page, 'fleet-kiosk-tablet');
  await test('sign-out').click();
  await test('user').fill(CONSOLE_USERS.admin.name);
  await test('password').fill(CONSOLE_USERS.admin.password);
  await test('sign-in').click();
  await page.goto(`${s.consoleUrl}/#/users`);
  await page.locator('[data-row="olga"]').waitFor();
  await shot(page, 'users');
  // The one expected: the page asks for its session before the sign-in, and is told it has none.
  t.deepEqual(errors.filter((e) => !e.includes('status of 401')), []);
});

/** A time as a datetime-local input takes it, in the browser's (and this process's) zone. */
function localInput(at: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${at.getFullYear()}-${pad(at.getMonth() + 1)}-${pad(at.getDate())}T${pad(at.getHours())}:${pad(at.getMinutes())}`;
}
