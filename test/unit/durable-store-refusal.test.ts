/**
 * A gateway or kiosk whose journal cannot be repaired never serves from an empty journal (JOURNAL_DAMAGED): at the
 * first start, which moves it aside, and at the next, while the moved copy is there. The gateway refuses to start;
 * the kiosk starts out of service and says why on its screen, so a board does not crash-loop in front of a queue.
 */
import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { QuancunError } from '../../common/errors.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { assembleKiosk } from '../../board/kiosk-assembly.ts';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import type { CardSession } from '../../runtime/flows/card-session.ts';
import { drawnTexts, waitForScreen } from '../support/kiosk-screens.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A store with a record, then damaged beyond repair: CURRENT unreadable and the write-ahead log overwritten. */
async function ruined(path: string): Promise<void> {
  const store = new LevelStore(path, { log: silentLogger });
  await store.open();
  await store.put('gw/load/K001-00000001', { state: 'reversing' });
  await store.close();
  writeFileSync(join(path, 'CURRENT'), 'garbage');
  for (const f of readdirSync(path).filter((f) => f.endsWith('.log'))) writeFileSync(join(path, f), Buffer.alloc(512, 0xab));
}

test('a gateway whose journal is damaged beyond repair does not start, then or at the next start', async (t) => {
  const dir = await tempDir(t);
  await ruined(join(dir, 'gateway'));
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  const gateway = () => new Gateway({ loaded: parseConfig(raw, EMBEDDED_CONFIG), mqttUrl: 'mqtt://127.0.0.1:1', log: silentLogger, version: 'test', dataDir: dir });
  await t.throwsAsync(gateway().start(), { instanceOf: QuancunError, code: 'JOURNAL_DAMAGED' });
  await t.throwsAsync(gateway().start(), { instanceOf: QuancunError, code: 'JOURNAL_DAMAGED' });
  t.deepEqual(readdirSync(dir).map((f) => f.replace(/\d{4}-.*Z$/, '<time>')), ['gateway.damaged-<time>']);
});

test("a kiosk whose journal is damaged beyond repair starts out of service with the operator's message, and moves no money", async (t) => {
  const dir = await tempDir(t);
  await ruined(join(dir, 'kiosk-K001'));
  const kiosk = await assembleKiosk({
    campus: { name: '示范大学', nameEn: 'Demo University' }, dataDir: dir, mqtt: { url: 'mqtt://127.0.0.1:1' },
    kiosk: { id: 'K001', terminalId: '000000000001' }, board: SIM_BOARD_PROFILE,
  }, { log: silentLogger, version: 'test' });
  t.teardown(() => kiosk.stop());
  await kiosk.start();
  t.is(kiosk.kiosk.status.reason, 'JOURNAL_DAMAGED');
  const { ui } = await kiosk.attachScreens(new PngSnapshotDisplay({ width: 1024, height: 600 }));
  const { view, report } = await waitForScreen(ui, 'out-of-service');
  t.is(view.outOfService, 'JOURNAL_DAMAGED');
  t.true(drawnTexts(report).includes('交易日志损坏，暂停服务，请联系服务中心'));
  const session = { channel: { close: async () => {} } } as unknown as CardSession;
  await t.throwsAsync(kiosk.kiosk.load(session, 5000), { instanceOf: QuancunError, code: 'JOURNAL_UNAVAILABLE' });
  t.deepEqual(readdirSync(dir).filter((f) => f.startsWith('kiosk-K001.damaged-')).length, 1);
});
