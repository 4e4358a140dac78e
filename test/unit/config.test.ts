import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, parseConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { DEFAULT_CONFIG } from '../../cli/defaults.ts';
import { tempDir } from '../support/temp-dir.ts';

const sample = () => JSON.parse(readFileSync(DEFAULT_CONFIG, 'utf8'));

test('the shipped embedded config is valid', (t) => {
  const { config } = loadConfig(DEFAULT_CONFIG);
  t.is(config.kiosks[0]!.id, 'K001');
  t.is(config.banks[0]!.id, 'unionpay');
});

test('a config mistake names the file and the path of the bad key', (t) => {
  const raw = sample();
  raw.issuer.masterKeys.load = 'XYZ';
  raw.kiosks[0].terminalId = '12';
  const err = t.throws(() => parseConfig(raw, '/etc/quancun.json'), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.regex(err!.message, /^\/etc\/quancun\.json: /);
  t.regex(err!.message, /issuer\.masterKeys\.load: 16-byte key as 32 hex digits/);
  t.regex(err!.message, /kiosks\.0\.terminalId/);
});

test('a cardholder bound to a bank that is not configured is refused', (t) => {
  const raw = sample();
  raw.cardholders[0].bankId = 'nobank';
  const err = t.throws(() => parseConfig(raw, 'c.json'), { instanceOf: QuancunError });
  t.is(err?.message, 'c.json: cardholders.0.bankId: no bank "nobank"');
});

test('a file that is not JSON is CONFIG_INVALID naming the file', async (t) => {
  const path = join(await tempDir(t), 'broken.json');
  writeFileSync(path, '{ "campus": ');
  const err = t.throws(() => loadConfig(path), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.true(err!.message.startsWith(path));
});

test('the campus time zone defaults to Asia/Shanghai; a name Intl does not know is CONFIG_INVALID naming it', (t) => {
  const raw = sample();
  delete raw.campus.timeZone;
  t.is(parseConfig(raw, 'c.json').config.campus.timeZone, 'Asia/Shanghai');
  raw.campus.timeZone = 'Europe/Berlin';
  t.is(parseConfig(raw, 'c.json').config.campus.timeZone, 'Europe/Berlin');
  raw.campus.timeZone = 'Beijing';
  const err = t.throws(() => parseConfig(raw, 'c.json'), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.is(err?.message, 'c.json: campus.timeZone: unknown time zone "Beijing" (an IANA name such as Asia/Shanghai)');
});

test('the one-card system is the built-in one unless the config names another', (t) => {
  t.deepEqual(parseConfig(sample(), 'c.json').config.oneCard, { kind: 'built-in' });
  const raw = sample();
  raw.oneCard = { kind: 'http', url: 'https://onecard.campus.example/api', tokenFile: 'onecard.token' };
  t.deepEqual(parseConfig(raw, 'c.json').config.oneCard, {
    kind: 'http', url: 'https://onecard.campus.example/api', tokenFile: 'onecard.token', timeoutMs: 5000,
    relay: { minMs: 1000, maxMs: 60_000, attentionAfter: 5, pollMs: 1000 },
  });
});

test('a one-card database URL with a password, or a query naming a parameter it does not take, is CONFIG_INVALID', (t) => {
  const raw = sample();
  raw.oneCard = {
    kind: 'postgres', url: 'postgresql://quancun:secret@db.campus.example/onecard',
    queries: { account: "select * from accts where acct = :campusAccount and card = :asn and note <> ':quoted' and n = 1::int" },
  };
  const err = t.throws(() => parseConfig(raw, 'c.json'), { instanceOf: QuancunError });
  t.is(err?.message, 'c.json: oneCard.url: a postgresql://user@host/database URL without a password (give it in PGPASSWORD or ~/.pgpass); '
    + 'oneCard.queries.account: unknown parameter :asn (this query takes :campusAccount)');
});
