/**
 * The console's gateway page: the checks of /health, the process serving and its store, and the standby waiting to
 * take the store over. On PostgreSQL configured with a standby, a second gateway started as the standby (as on the
 * second host) waits for the store's lock; the page lists it, in Chromium as in the API. On the embedded default
 * (LevelDB) there is no standby to watch. With QUANCUN_CONSOLE_SHOTS=<dir> the page's screenshot is kept there.
 */
import test from 'ava';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { openChromium } from '../support/chromium.ts';
import { signInPage, startConsoleSystem } from '../support/console.ts';
import { askUntil, testDatabase } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

interface GatewayPage {
  process: string;
  store: string;
  health: { status: string; checks: Record<string, { status: string; detail: string }> };
  standbys?: Array<{ session: string; from: string; since: string }> | null;
}

test('on PostgreSQL with a standby: none waits, then the second host\'s gateway waits and is listed, in the API and in Chromium', async (t) => {
  const url = await testDatabase();
  const s = await startConsoleSystem(t, { edit: (c) => void (c.store = { backend: 'postgres', url, poolSize: 4, standby: true }) });
  const viewer = await s.signIn('viewer');
  const before = await viewer.get('gateway') as GatewayPage;
  t.regex(before.process, new RegExp(`^quancun gateway ${process.pid}@`));
  t.regex(before.store, /^postgres(ql)?:\/\//);
  t.like(before.health, { status: 'degraded', checks: { standby: { status: 'degraded', detail: 'no standby gateway waits for the store: if this one stops, no one takes over' } } });
  t.deepEqual(before.standbys, []);

  const standby = new Gateway({ loaded: s.loaded, mqttUrl: 'mqtt://127.0.0.1:1', log: silentLogger, version: 'standby', dataDir: s.dataDir, standby: true });
  const waiting = standby.store.open().catch((err: Error) => err);
  t.teardown(async () => {
    await standby.store.close();
    await waiting;
  });
  const after = await askUntil(async () => await viewer.get('gateway') as GatewayPage, (d) => d.standbys?.length === 1);
  t.like(after.health, { status: 'ok', checks: { standby: { status: 'ok' } } });
  t.like(after.standbys![0], { session: before.process, from: 'local' });

  const { page, errors } = await openChromium(t);
  await signInPage(page, s.consoleUrl, 'viewer');
  await page.goto(`${s.consoleUrl}/#/gateway`);
  const standbyCheck = page.locator('[data-test="gateway-checks"] [data-row="standby"]');
  await standbyCheck.waitFor();
  t.regex((await standbyCheck.textContent())!, /standby waiting to take over: quancun gateway/);
  t.is(await page.locator('[data-test="gateway-standbys"] [data-row]').count(), 1);
  const shots = process.env.QUANCUN_CONSOLE_SHOTS ?? (await tempDir(t, 'quancun-console-gateway-shots-'));
  mkdirSync(shots, { recursive: true });
  await page.setViewportSize({ width: 1280, height: 800 });
  await page.screenshot({ path: join(shots, 'gateway.png'), fullPage: true });
  t.regex((await page.locator('[data-test="gateway-standbys"]').textContent())!, new RegExp(`quancun gateway ${process.pid}@`));
  t.deepEqual(errors.filter((e) => !e.includes('status of 401')), []);
});

test('on the embedded default there is no standby to watch: the checks without one, and no standby list', async (t) => {
  const s = await startConsoleSystem(t, { edit: (c) => void (c.store = { backend: 'leveldb' }) });
  const page = await (await s.signIn('viewer')).get('gateway') as GatewayPage;
  t.is(page.health.status, 'ok');
  t.deepEqual(Object.keys(page.health.checks), ['journal', 'broker', 'reversals', 'bank:unionpay']);
  t.false('standbys' in page);
});
