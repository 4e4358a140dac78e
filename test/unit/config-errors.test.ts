/**
 * Configuration mistakes as a newcomer makes them: a misspelt key, a key where none belongs, a URL where a host
 * goes, a missing comma. Each is CONFIG_INVALID naming the file and the place; messages are written out in full.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { editDistance, jsonErrorPosition, nearest, parseConfigSection, unknownKeys } from '../../common/config-errors.ts';
import { loadConfig, parseConfig, parseJsonText } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { DEFAULT_CONFIG } from '../../cli/defaults.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { parseBoardProfile, SIM_BOARD_PROFILE } from '../../board/board-profile.ts';
import { tempDir } from '../support/temp-dir.ts';

const sample = () => JSON.parse(readFileSync(DEFAULT_CONFIG, 'utf8'));
function configError(t: ExecutionContext, raw: unknown): QuancunError {
  return t.throws(() => parseConfig(raw, 'c.json'), { instanceOf: QuancunError, code: 'CONFIG_INVALID' });
}

test('edit distance counts insertions, deletions, changes and swapped neighbours as one each', (t) => {
  t.is(editDistance('embededPort', 'embeddedPort'), 1);
  t.is(editDistance('hots', 'host'), 1);
  t.is(editDistance('kitten', 'sitting'), 3);
  t.is(editDistance('', 'url'), 3);
  t.is(editDistance('url', 'url'), 0);
});

test('the nearest key is offered only when it is a slip away, case aside', (t) => {
  const keys = ['url', 'embeddedPort', 'requestTimeoutMs'];
  t.is(nearest('embededPort', keys), 'embeddedPort');
  t.is(nearest('EmbeddedPort', keys), 'embeddedPort');
  t.is(nearest('requestTimeout', keys), 'requestTimeoutMs');
  t.is(nearest('uri', keys), 'url');
  t.is(nearest('port', keys), undefined);
  t.is(nearest('x', ['id']), undefined);
});

test('a misspelt config key is refused with the key it was meant to be', (t) => {
  const raw = sample();
  raw.mqtt.embededPort = 1883;
  const err = configError(t, raw);
  t.is(err.message, 'c.json: mqtt.embededPort: unknown key, did you mean "embeddedPort"?');
  t.deepEqual(err.details, { path: 'c.json', issues: ['mqtt.embededPort: unknown key, did you mean "embeddedPort"?'] });
});

test('unknown keys in array items and optional sections are found (in the order of the file), and a key nothing resembles lists what the object takes', (t) => {
  const raw = sample();
  raw.kiosks[0].readr = { backend: 'sim' };
  raw.reversals = { minMs: 100, maxMS: 200 };
  raw.mqtt.broker = 'x';
  t.is(configError(t, raw).message, [
    'c.json: mqtt.broker: unknown key (this takes "url", "embeddedPort", "requestTimeoutMs", "tls")',
    'kiosks.0.readr: unknown key, did you mean "reader"?',
    'reversals.maxMS: unknown key, did you mean "maxMs"?',
  ].join('; '));
});

test('every problem is listed with its path, unknown keys first, a missing key as missing', (t) => {
  const raw = sample();
  raw.campus = { nam: 'X', nameEn: 'X' };
  raw.limits.maxLoad = -1;
  t.is(configError(t, raw).message, [
    'c.json: campus.nam: unknown key, did you mean "name"?',
    'campus.name: missing (expected string)',
    'limits.maxLoad: Too small: expected number to be >=0',
  ].join('; '));
});

test('the broker is "embedded" or an mqtt:// or mqtts:// URL with a host; a bank host is a host, not a URL', (t) => {
  const URL_PROBLEM = 'mqtt.url: "embedded", or the broker as mqtt://host:port or mqtts://host:port';
  for (const url of ['embedded', 'mqtt://broker.campus.edu:1883', 'mqtt://[::1]:1883']) {
    const raw = sample();
    raw.mqtt.url = url;
    t.is(parseConfig(raw, 'c.json').config.mqtt.url, url);
  }
  const secure = sample();
  secure.mqtt.url = 'mqtts://10.0.0.5:8883';
  t.is(configError(t, secure).message, 'c.json: mqtt.tls: an mqtts:// broker needs the CA, certificate and key files', 'mqtts:// takes the gateway\'s TLS files');
  for (const url of ['broker:1883', 'http://broker:1883', 'mqtt://', 'mqtt:broker', 'Embedded']) {
    const raw = sample();
    raw.mqtt.url = url;
    t.is(configError(t, raw).message, `c.json: ${URL_PROBLEM}`, url);
  }
  const raw = sample();
  raw.banks[0].host = 'tcp://bank.example.com:5000';
  raw.banks[0].localAddress = 'eth1';
  t.is(configError(t, raw).message, 'c.json: banks.0.host: a host name or IP address (not a URL); banks.0.localAddress: an IP address');
  raw.banks[0].host = 'bank.example.com';
  raw.banks[0].localAddress = '192.168.10.2';
  t.is(parseConfig(raw, 'c.json').config.banks[0]!.host, 'bank.example.com');
});

test('any zod schema: unknown keys inside records, discriminated unions, tuples, pipes and lazy schemas; loose objects take any key', (t) => {
  const node: z.ZodType = z.lazy(() => z.object({ name: z.string(), children: z.array(node).optional() }));
  const schema = z.object({
    byName: z.record(z.string(), z.object({ port: z.number() })),
    device: z.discriminatedUnion('kind', [z.object({ kind: z.literal('a'), size: z.number() }), z.object({ kind: z.literal('b') })]),
    pair: z.tuple([z.object({ x: z.number() }), z.string()]),
    trimmed: z.object({ value: z.string() }).transform((o) => o.value),
    tree: node,
    extra: z.looseObject({ known: z.number() }),
  });
  const input = {
    byName: { one: { port: 1, prot: 2 } },
    device: { kind: 'a', size: 'big', sise: 1 },
    pair: [{ x: 1, y: 2 }, 's'],
    trimmed: { value: 'v', valeu: 'w' },
    tree: { name: 'root', children: [{ name: 'leaf', childern: [] }] },
    extra: { known: 1, anything: true },
  };
  t.deepEqual(unknownKeys(schema, input).map((p) => p.path.join('.')), [
    'byName.one.prot', 'device.sise', 'pair.0.y', 'trimmed.valeu', 'tree.children.0.childern',
  ]);
  const err = t.throws(() => parseConfigSection(schema, input, 'generic.json'), { instanceOf: QuancunError });
  t.is(err.message, [
    'generic.json: byName.one.prot: unknown key, did you mean "port"?',
    'device.sise: unknown key, did you mean "size"?',
    'pair.0.y: unknown key, did you mean "x"?',
    'trimmed.valeu: unknown key, did you mean "value"?',
    'tree.children.0.childern: unknown key, did you mean "children"?',
    'device.size: Invalid input: expected number, received string',
  ].join('; '));
});

test('a board profile: an unknown key inside the chosen backend names it', (t) => {
  const err = t.throws(() => parseBoardProfile({ ...SIM_BOARD_PROFILE, printer: { backend: 'sim', colums: 42 } }), { instanceOf: QuancunError });
  t.is(err.message, 'board profile: printer.colums: unknown key, did you mean "columns"?');
  const fromFile = t.throws(() => parseBoardProfile({ ...SIM_BOARD_PROFILE, gpio: { backend: 'sim', debounce: 5 } }, '/etc/quancun/board.json'), { instanceOf: QuancunError });
  t.is(fromFile.message, '/etc/quancun/board.json: gpio.debounce: unknown key, did you mean "debounceMs"?');
});

test('a bank profile: an unknown key is named with its neighbour, fields by the number they declare', async (t) => {
  const raw = JSON.parse(readFileSync(bankProfilePath('unionpay'), 'utf8'));
  raw.timeouts.conectMs = 5000;
  raw.fields[1].lenght = 19;
  const path = join(await tempDir(t), 'mine.json');
  writeFileSync(path, JSON.stringify(raw));
  const err = t.throws(() => loadBankProfile(path), { instanceOf: QuancunError });
  t.is(err.message, `${path}: field ${raw.fields[1].no}.lenght: unknown key, did you mean "length"?; timeouts.conectMs: unknown key, did you mean "connectMs"?`);
});

test('a bank profile that is not there names the file looked for and the shipped ones', (t) => {
  const dir = resolve(import.meta.dirname, '../../gateway/bank/profiles');
  const typo = t.throws(() => bankProfilePath('unionpy'), { instanceOf: QuancunError });
  t.is(typo.code, 'CONFIG_INVALID');
  t.is(typo.message, `no bank profile "unionpy": ${dir}/unionpy.json does not exist (did you mean "unionpay"?); the shipped profiles are ascii-x919, unionpay, or give the path of a profile file`);
  const file = t.throws(() => bankProfilePath('/etc/quancun/icbc.json'), { instanceOf: QuancunError });
  t.is(file.message, 'no bank profile "/etc/quancun/icbc.json": /etc/quancun/icbc.json does not exist; the shipped profiles are ascii-x919, unionpay, or give the path of a profile file');
});

// Texts written by hand; line and column counted by hand (1-based), at the character JSON.parse stopped at.
const JSON_MISTAKES: Array<[what: string, text: string, line: number, column: number]> = [
  ['a missing comma', '{\n  "campus": {},\n  "dataDir": "var"\n  "mqtt": {}\n}\n', 4, 3],
  ['a trailing comma before }', '{\n  "a": 1,\n}', 3, 1],
  ['a trailing comma before ]', '[1,]', 1, 4],
  ['a trailing comma in a long text', '{\n  "kiosks": ["K001", "K002", "K003",]\n}', 2, 37],
  ['a comment', '{\n  // the campus\n  "campus": {}\n}', 2, 3],
  ['a single-quoted string', "{\n  'campus': {}\n}", 2, 3],
  ['a cut-off file', '{\n  "campus": ', 2, 13],
  ['a tab inside a string', '{"a": "x\ty"}', 1, 9],
  ['text after the value', '{}\n}', 2, 1],
];

for (const [what, text, line, column] of JSON_MISTAKES) {
  test(`JSON syntax: ${what} is at line ${line} column ${column}`, (t) => {
    let caught: Error | undefined;
    try {
      JSON.parse(text);
    } catch (err) {
      caught = err as Error;
    }
    t.deepEqual(jsonErrorPosition(text, caught!), { line, column }, caught!.message);
    const err = t.throws(() => parseJsonText(text, 'c.json'), { instanceOf: QuancunError });
    t.is(err.message, `c.json:${line}:${column}: ${caught!.message}`);
    t.like(err.details, { path: 'c.json', line, column });
  });
}

test('a config file with a missing comma: the file, line and column', async (t) => {
  const path = join(await tempDir(t), 'quancun.json');
  writeFileSync(path, '{\n  "campus": { "name": "x", "nameEn": "x" }\n  "dataDir": "var"\n}\n');
  const err = t.throws(() => loadConfig(path), { instanceOf: QuancunError });
  // What follows is V8's own wording, which differs between Node versions.
  t.true(err.message.startsWith(`${path}:3:3: Expected ',' or '}' after property value`), err.message);
});
