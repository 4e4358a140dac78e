/**
 * A gateway or kiosk whose journal cannot be repaired refuses to start (JOURNAL_DAMAGED) rather than serve from an
 * empty journal: at the first start, which moves it aside, and at the next, while the moved copy is there.
 */
import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { DurableStore } from '../../common/store/durable-store.ts';
import { QuancunError } from '../../common/errors.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { createSimPinPad } from '../../sim/pin-pad/sim-pin-pad.ts';
import { Kiosk } from '../../runtime/kiosk.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A store with a record, then damaged beyond repair: CURRENT unreadable and the write-ahead log overwritten. */
async function ruined(path: string): Promise<void> {
  const store = new DurableStore(path, { log: silentLogger });
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

test('a kiosk whose journal is damaged beyond repair does not start', async (t) => {
  const dir = await tempDir(t);
  await ruined(join(dir, 'kiosk-K001'));
  const kiosk = new Kiosk({
    id: 'K001', terminalId: '000000000001', mqttUrl: 'mqtt://127.0.0.1:1', dataDir: dir, version: 'test',
    reader: new SimCardReader(), pinPad: createSimPinPad().pinPad, log: silentLogger,
  });
  await t.throwsAsync(kiosk.start(), { instanceOf: QuancunError, code: 'JOURNAL_DAMAGED' });
  t.false(kiosk.link.online);
});
