/** A kiosk's own config file: the documented example is valid, and no key can be in one. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kioskConfigFor, parseKioskConfig } from '../../board/kiosk-config.ts';
import { loadConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';

const ROOT = join(import.meta.dirname, '../..');

/** The JSON block under "## Kiosk" in docs/deployment.md. */
function documentedExample(): unknown {
  const doc = readFileSync(join(ROOT, 'docs/deployment.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Kiosk\n'));
  return JSON.parse(section.slice(section.indexOf('```json\n') + 8, section.indexOf('\n```', section.indexOf('```json\n'))));
}

test('the example kiosk.json in docs/deployment.md is a valid kiosk config', (t) => {
  const { config, dataDir } = parseKioskConfig(documentedExample(), '/etc/quancun/kiosk.json');
  t.is(dataDir, '/var/lib/quancun');
  t.is(config.kiosk.id, 'K001');
  t.like(config.board, { reader: { backend: 'pcsc' }, display: { backend: 'fbdev', device: '/dev/fb0' }, touch: { backend: 'evdev', rotation: 0 } });
  t.is(config.campus.timeZone, 'Asia/Shanghai');
});

test("a kiosk config with the gateway's issuer section is refused, naming it", (t) => {
  const raw = { ...(documentedExample() as object), issuer: { pinMasterKey: 'A1B2C3D4E5F60718293A4B5C6D7E8F90' } };
  const err = t.throws(() => parseKioskConfig(raw, 'kiosk.json'), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.regex(err!.message, /kiosk\.json: issuer: unknown key/);
});

test('a kiosk config derived from the system config carries no key', (t) => {
  const derived = kioskConfigFor(loadConfig(join(ROOT, 'config/embedded.json')), 'K002', { mqttUrl: 'mqtt://127.0.0.1:1883' });
  const text = JSON.stringify(derived);
  for (const key of ['57B0F0E1A3C4D5E6F708192A3B4C5D6E', 'A1B2C3D4E5F60718293A4B5C6D7E8F90', 'C8D9EAFB0C1D2E3F405162738495A6B7']) t.false(text.includes(key));
  t.like(parseKioskConfig(derived).config, { kiosk: { id: 'K002', terminalId: '000000000002' }, mqtt: { url: 'mqtt://127.0.0.1:1883' } });
});
