/**
 * The one configuration schema. A deployment's file names the issuer master keys (gateway only), the cardholders and
 * their bindings, the banks, and the kiosks; the embedded default adds the simulated bank accounts and cards.
 * Every key is validated at start with the path of what is wrong, before anything is opened.
 */
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { z } from 'zod';
import { configInvalid, jsonErrorPosition, parseConfigSection } from './config-errors.ts';
import { QuancunError } from './errors.ts';
import { DEFAULT_TIME_ZONE, isTimeZone } from './campus-time.ts';
import { loadTlsFiles, tlsFilesSchema, type TlsMaterial } from './mqtt/tls-files.ts';
import { namedParameters } from './named-sql.ts';

const hexKey = z.string().regex(/^[0-9A-Fa-f]{32}$/, '16-byte key as 32 hex digits');
const fen = z.number().int().nonnegative();
const pan = z.string().regex(/^\d{13,19}$/, 'bank card number of 13 to 19 digits');
const asn = z.string().regex(/^[0-9A-Fa-f]{20}$/, 'application serial number as 20 hex digits');
const host = z.string().refine((h) => isIP(h) !== 0 || z.regexes.hostname.test(h), 'a host name or IP address (not a URL)');
const isLoopback = (h: string) => h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h);

const isBrokerUrl = (text: string) => {
  try {
    const url = new URL(text);
    return (url.protocol === 'mqtt:' || url.protocol === 'mqtts:') && url.hostname !== '';
  } catch {
    return false;
  }
};

/** A PostgreSQL URL that names a database and carries no password: a config file is no place for one. */
const isPostgresUrl = (value: string): boolean => {
  try {
    const url = new URL(value);
    return (url.protocol === 'postgresql:' || url.protocol === 'postgres:') && url.password === '' && url.pathname.length > 1;
  } catch {
    return false;
  }
};

/** A PostgreSQL database the gateway keeps connections to: the store's, or the campus one-card system's. */
const postgresLink = (connections: number) => ({
  /** postgresql://user@host:port/database, or a Unix socket folder as the host (%2Frun%2Fpostgresql); the password in PGPASSWORD or ~/.pgpass. */
  url: z.string().refine(isPostgresUrl, 'a postgresql://user@host/database URL without a password (give it in PGPASSWORD or ~/.pgpass)'),
  /** Connections kept open. */
  poolSize: z.number().int().min(1).max(100).default(connections),
});

/** The parameters each query of a campus's one-card schema may name (`oneCard.queries`, docs/onecard.md). */
export const ONECARD_QUERY_PARAMETERS = {
  accountByAsn: ['asn'],
  account: ['campusAccount'],
  post: ['txnId', 'campusAccount', 'amount', 'status', 'source', 'at'],
} as const;

const oneCardQuery = (name: keyof typeof ONECARD_QUERY_PARAMETERS) => {
  const takes: readonly string[] = ONECARD_QUERY_PARAMETERS[name];
  return z.string().min(1).superRefine((sql, ctx) => {
    for (const unknown of namedParameters(sql).filter((p) => !takes.includes(p))) {
      ctx.addIssue({ code: 'custom', message: `unknown parameter :${unknown} (this query takes ${takes.map((p) => `:${p}`).join(', ')})` });
    }
  });
};

/** How the posting relay (gateway/onecard/posting-relay.ts) tries a posting the one-card system did not answer. */
const oneCardRelay = z.object({
  /** The wait before the next try after one without an answer, doubled after each; never more than maxMs. */
  minMs: z.number().int().min(10).default(1000),
  maxMs: z.number().int().min(10).default(60_000),
  /** Tries in a row without an answer before the error log asks for an operator (the relay keeps trying). */
  attentionAfter: z.number().int().positive().default(5),
  /** How often an idle relay looks for new postings to deliver. */
  pollMs: z.number().int().min(10).max(60_000).default(1000),
}).strict();
const RELAY_DEFAULTS = { minMs: 1000, maxMs: 60_000, attentionAfter: 5, pollMs: 1000 };

/** How long one call to an external one-card system may take before it counts as unanswered. */
const oneCardTimeout = z.number().int().min(100).max(60_000).default(5000);

export const configSchema = z.object({
  campus: z.object({
    name: z.string().min(1),
    nameEn: z.string().min(1),
    /** IANA zone of the campus's wall clock: screens, receipts, card dates, the business day, settlement times. */
    timeZone: z.string().refine(isTimeZone, { error: (iss) => `unknown time zone "${String(iss.input)}" (an IANA name such as Asia/Shanghai)` }).default(DEFAULT_TIME_ZONE),
  }),
  /** Where LevelDB journals live, relative to the config file unless absolute. */
  dataDir: z.string().default('var'),
  /**
   * Where the gateway keeps its journal and the campus ledger (docs/store.md): `leveldb` in `<dataDir>/gateway` (the
   * embedded default; one process at a time), or `postgres` (the data centre: other processes read it while the
   * gateway runs, a finance office queries the ledger's views). Kiosk journals are always LevelDB.
   */
  store: z.discriminatedUnion('backend', [
    z.object({ backend: z.literal('leveldb') }).strict(),
    z.object({
      backend: z.literal('postgres'),
      ...postgresLink(10),
      /**
       * A second gateway on the same database: while the other holds the store it waits, then takes over when that
       * one stops or dies (docs/store.md). Without it, a second gateway is refused.
       */
      standby: z.boolean().default(false),
    }).strict(),
  ]).default({ backend: 'leveldb' }),
  /**
   * The campus's one-card system (gateway/onecard/, docs/onecard.md): where the cardholder accounts are, and where
   * each posting is delivered. `built-in` (the default): the accounts are `cardholders`, kept in the gateway's store.
   * `postgres`: the campus's database, reached directly with the SQL of `queries`. `http`: its web middle tier.
   */
  oneCard: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('built-in') }).strict(),
    z.object({
      kind: z.literal('postgres'),
      /** The campus's one-card database. */
      ...postgresLink(4),
      timeoutMs: oneCardTimeout,
      /** The campus schema's own SQL, with named parameters; unset ones are the sample schema's (sim/onecard/). */
      queries: z.object({ accountByAsn: oneCardQuery('accountByAsn'), account: oneCardQuery('account'), post: oneCardQuery('post') }).partial().strict().default({}),
      relay: oneCardRelay.default(RELAY_DEFAULTS),
    }).strict(),
    z.object({
      kind: z.literal('http'),
      /** The web middle tier's base URL; its API is in docs/onecard.md. */
      url: z.url({ protocol: /^https?$/ }),
      /** A file holding the bearer token, relative to this file; read at start, never logged. */
      tokenFile: z.string().min(1).optional(),
      timeoutMs: oneCardTimeout,
      relay: oneCardRelay.default(RELAY_DEFAULTS),
    }).strict(),
  ]).default({ kind: 'built-in' }),
  mqtt: z.object({
    /** `embedded` starts an aedes broker in-process on the given port; otherwise an mqtt:// URL. */
    url: z.string().refine((u) => u === 'embedded' || isBrokerUrl(u), '"embedded", or the broker as mqtt://host:port or mqtts://host:port').default('embedded'),
    embeddedPort: z.number().int().min(0).max(65535).default(0),
    /** How long a kiosk waits for the gateway's answer; longer than the bank's answer time plus a reversal. */
    requestTimeoutMs: z.number().int().positive().default(15_000),
    /** For an mqtts:// broker: the campus CA, the gateway's certificate (CN gateway.<name>) and key; relative to this file. */
    tls: tlsFilesSchema.optional(),
  }).default({ url: 'embedded', embeddedPort: 0, requestTimeoutMs: 15_000 }),
  issuer: z.object({
    masterKeys: z.object({ load: hexKey, purchase: hexKey, tac: hexKey }),
    /** Kiosk PIN pads hold keys diversified from this one by terminal id. */
    pinMasterKey: hexKey,
    /**
     * PIN pads' transport keys are diversified from this one by pad serial (common/crypto/pad-keys.ts): at enrolment
     * a pad gets its PIN key under its transport key. Required with a `ca` section.
     */
    padTransportMasterKey: hexKey.optional(),
  }),
  /**
   * The campus CA (gateway/ca/, `quancun ca`): with this section the gateway enrols kiosks and serves only the kiosks
   * it enrolled and has not revoked; without it every kiosk is served, as on a closed network.
   */
  ca: z.object({
    /** The CA's folder (certificate, key, registry), relative to the config file; default `<dataDir>/ca`. */
    dir: z.string().min(1).optional(),
    /** How long an enrolment code stays valid unless `quancun ca code --hours` says otherwise. */
    codeTtlHours: z.number().int().min(1).max(24 * 90).default(72),
    /**
     * The campus Mosquitto's ACL file, kept by quancun (docs/broker.md): rewritten when a kiosk is revoked or enrolled
     * again or a gateway or operator certificate is issued, then `reload` makes the broker apply it without a restart.
     */
    broker: z.object({
      aclFile: z.string().min(1),
      reload: z.array(z.string().min(1)).default(['systemctl', 'reload', 'mosquitto']),
    }).optional(),
  }).optional(),
  /** Remote commands the gateway sends for the operator console (docs/remote-commands.md). */
  commands: z.object({
    /**
     * The signer's certificate (CN gateway.<name> or operator.<name>, issued by the campus CA) and its EC P-256 key,
     * relative to this file. Without it the gateway signs with its own `mqtt.tls` certificate and key.
     */
    signer: z.object({ cert: z.string().min(1), key: z.string().min(1) }).strict().optional(),
    /** How long to wait for a kiosk's final result before COMMAND_TIMEOUT. */
    timeoutSeconds: z.number().int().min(1).max(600).default(30),
  }).optional(),
  /**
   * The operator console (gateway/console/, docs/console.md), served by the gateway process. Loopback unless `tls` is
   * set: a LAN address carries passwords and session cookies only over HTTPS.
   */
  console: z.object({
    host: z.string().min(1).default('127.0.0.1'),
    /** 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(8088),
    /** HTTPS: certificate (chain) and key, PEM, relative to this file. */
    tls: z.object({ cert: z.string().min(1), key: z.string().min(1) }).optional(),
    /** The users file (`quancun console user`), relative to this file; default `<dataDir>/console/users.json`. */
    usersFile: z.string().min(1).optional(),
    /** A session ends after this long without a request. */
    idleMinutes: z.number().int().min(1).max(24 * 60).default(30),
    /** Failed sign-ins in a row that lock a user out, and for how long. */
    lockout: z.object({
      failures: z.number().int().min(1).max(100).default(5),
      minutes: z.number().int().min(1).max(24 * 60).default(15),
    }).default({ failures: 5, minutes: 15 }),
  }).refine((c) => c.tls !== undefined || isLoopback(c.host), {
    error: 'a console on a non-loopback address needs console.tls (passwords and session cookies go over the LAN)', path: ['host'],
  }).optional(),
  limits: z.object({
    maxLoad: fen,
    purseLimit: fen,
    /** How long a kiosk asks for the same card back after the card left during the credit; then it is a pending load. */
    rePresentSeconds: z.number().int().min(1).max(300).default(30),
  }),
  banks: z.array(z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    profile: z.string(),
    host: host.default('127.0.0.1'),
    /** 0 with the embedded bank simulator: it picks a free port. */
    port: z.number().int().min(0).max(65535),
    /** Local address the bank connection binds to (the gateway's bank-side interface). */
    localAddress: z.string().refine((a) => isIP(a) !== 0, 'an IP address').optional(),
    terminalId: z.string().length(8),
    merchantId: z.string().length(15),
    tmk: hexKey,
  })).min(1),
  /** Billers a fee is paid to from the purse (缴费, docs/fees.md), each reached over HTTP. */
  billers: z.array(z.object({
    id: z.string().regex(/^[a-z0-9-]+$/),
    kind: z.enum(['dorm-power', 'campus-net']),
    name: z.object({ zh: z.string().min(1), en: z.string().min(1) }),
    /** The biller's base URL; the embedded biller simulator's is set at start. */
    url: z.url({ protocol: /^https?$/ }),
    /** How long one call may take before it counts as unanswered. */
    timeoutMs: z.number().int().min(100).max(60_000).default(5000),
    /**
     * Tries of one payment (the same payment id) at once. After them, a biller that was never reached (connection
     * refused) makes the fee a refund owed; one that may have got the payment is asked again every `retryMs`.
     */
    payTries: z.number().int().min(1).max(10).default(3),
    /** How long after its tries ran out unanswered a payment the biller may have applied is asked again, until it answers. */
    retryMs: z.number().int().min(100).max(3_600_000).default(60_000),
    /** Largest single fee, fen. */
    maxAmount: fen.default(50_000),
  }).strict()).default([]),
  /** Store-and-forward reversals (gateway/saf/); unset keys take the queue's defaults (2 s doubling to 2 min, 3 tries). */
  reversals: z.object({
    /** The wait before the second try, doubled after each failed one. */
    minMs: z.number().int().positive(),
    maxMs: z.number().int().positive(),
    /** Failed tries before the error log asks for an operator (the queue keeps trying). */
    attentionAfter: z.number().int().positive(),
  }).partial().optional(),
  /**
   * The batch transfer mode (gateway/transfers/, docs/batch-transfer.md): the campus time a running gateway sends the
   * standing orders due (none when unset: `quancun transfer run` only), and how many transfers a second go to one bank.
   */
  transfers: z.object({
    runAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'local time HH:MM').optional(),
    perSecond: z.number().positive().max(1000).default(5),
  }).optional(),
  cardholders: z.array(z.object({
    campusAccount: z.string().min(1),
    name: z.string().min(1),
    staffNo: z.string().min(1),
    asn,
    bankId: z.string().optional(),
    bankPan: pan.optional(),
  })),
  kiosks: z.array(z.object({
    id: z.string().regex(/^[A-Za-z0-9_-]+$/),
    terminalId: z.string().regex(/^[0-9A-Fa-f]{12}$/),
    /** The campus (校区) it stands on, e.g. "east": an announcement for that campus reaches it (gateway/announcements/). */
    campus: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/, 'a campus id: letters, digits, _ and -').optional(),
    reader: z.object({
      backend: z.enum(['sim', 'pcsc']).default('sim'),
      name: z.string().optional(),
      /** pcsc: how long a command may go unanswered before it counts as undecided (a mute card never answers). */
      answerTimeoutMs: z.number().int().min(100).max(60_000).optional(),
    }).default({ backend: 'sim' }),
  })).min(1),
  /** The technician's PIN for the kiosk's maintenance screen, as `quancun technician-pin` hashes it (scrypt). */
  technician: z.object({ pinHash: z.string().regex(/^scrypt\$[0-9a-f]{32}\$[0-9a-f]{64}$/, 'scrypt$<32 hex salt>$<64 hex hash>') }).optional(),
  /** Notices for the kiosk screens (idle and 公告), newest first. */
  announcements: z.array(z.object({
    id: z.string().min(1),
    /** As the screens show it, e.g. "11-27". */
    date: z.string().min(1),
    title: z.object({ zh: z.string().min(1), en: z.string().min(1) }),
    body: z.object({ zh: z.string(), en: z.string() }),
  })).optional(),
  /** The simulated world of the embedded default: bank accounts and the cards in the cardholders' hands. */
  simulation: z.object({
    bankAccounts: z.array(z.object({
      bankId: z.string(), pan, balance: fen, pin: z.string().regex(/^\d{4,12}$/),
      /** The holder signed a standing agreement with the bank (代扣协议): the batch transfer mode may debit it without a PIN. */
      standingAgreement: z.boolean().optional(),
    })),
    cards: z.array(z.object({ asn, balance: fen, pin: z.string().regex(/^\d{4,12}$/).default('123456') })),
    /** The biller simulator's accounts (sim/biller/), by biller id. */
    billerAccounts: z.array(z.object({ billerId: z.string(), account: z.string().min(1), holder: z.string().min(1), room: z.string().optional() })).optional(),
  }).optional(),
});

export type Config = z.infer<typeof configSchema>;
export type BankConfig = Config['banks'][number];
export type BillerConfig = Config['billers'][number];
export type OneCardConfig = Config['oneCard'];

/** A config as read from its file: the gateway's (or the embedded system's), or a kiosk's own. */
export interface Loaded<C> {
  config: C;
  /** The file it came from; relative paths in it are taken from its folder. */
  path: string;
  /** `dataDir` resolved against the file's folder. */
  dataDir: string;
  /** The files of `mqtt.tls`, read and checked against each other. */
  tls?: TlsMaterial;
}

/**
 * `mqtt.tls` read and checked: required by an mqtts:// broker and meaningless without one; the certificate's CN must
 * be the identity `expect` says this process has.
 */
export function brokerTls(
  mqtt: { url: string; tls?: z.infer<typeof tlsFilesSchema> },
  path: string,
  expect: { test(cn: string): boolean; what: string },
): TlsMaterial | undefined {
  const secure = mqtt.url.startsWith('mqtts://');
  if (secure !== (mqtt.tls !== undefined)) {
    throw configInvalid(path, [secure ? 'mqtt.tls: an mqtts:// broker needs the CA, certificate and key files' : 'mqtt.tls: only for an mqtts:// broker']);
  }
  if (!mqtt.tls) return undefined;
  const tls = loadTlsFiles(mqtt.tls, path);
  if (!expect.test(tls.identity)) throw configInvalid(path, [`mqtt.tls.cert: its CN is "${tls.identity}", not ${expect.what}`]);
  return tls;
}

export type LoadedConfig = Loaded<Config>;

export function parseConfig(raw: unknown, path = '<inline>'): LoadedConfig {
  const config = parseConfigSection(configSchema, raw, path);
  const known = new Set(config.banks.map((b) => b.id));
  for (const [i, c] of config.cardholders.entries()) {
    if (c.bankId && !known.has(c.bankId)) throw configInvalid(path, [`cardholders.${i}.bankId: no bank "${c.bankId}"`]);
  }
  if (config.ca && !config.issuer.padTransportMasterKey) {
    throw configInvalid(path, ['issuer.padTransportMasterKey: required with a "ca" section (enrolment sends PIN pads their key under it)']);
  }
  const tls = brokerTls(config.mqtt, path, { test: (cn) => cn.startsWith('gateway.'), what: 'a gateway\'s (gateway.<name>)' });
  return { config, path, dataDir: resolve(dirname(path), config.dataDir), ...(tls ? { tls } : {}) };
}

/** `at`, when known, is where in the file: the message starts `<file>:<line>:<column>:` as compilers' do. */
const unreadable = (path: string, err: unknown, at?: { line: number; column: number }) =>
  new QuancunError('CONFIG_INVALID', `${path}${at ? `:${at.line}:${at.column}` : ''}: ${(err as Error).message}`, { path, ...at }, { cause: err });

/** The text of a JSON configuration file (the config, a bank profile); text that is not JSON is CONFIG_INVALID naming it, and where. */
export function parseJsonText(text: string, path: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw unreadable(path, err, jsonErrorPosition(text, err as Error));
  }
}

/** A JSON configuration file as a value; a file that cannot be read is CONFIG_INVALID too. */
export function readJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw unreadable(path, err);
  }
  return parseJsonText(text, path);
}

/** The campus CA's folder: `ca.dir` from the config file's folder, else `ca` in the gateway's data dir. */
export function caDir(loaded: LoadedConfig, dataDir = loaded.dataDir): string {
  const dir = loaded.config.ca?.dir;
  return dir === undefined ? join(dataDir, 'ca') : resolve(dirname(loaded.path), dir);
}

/** Where the broker's ACL file is (from the config file's folder) and how to reload it, when quancun keeps it. */
export function brokerAclSettings(loaded: LoadedConfig): { aclFile: string; reload: string[] } | undefined {
  const broker = loaded.config.ca?.broker;
  return broker && { aclFile: resolve(dirname(loaded.path), broker.aclFile), reload: broker.reload };
}

export function loadConfig(path: string): LoadedConfig {
  return parseConfig(readJsonFile(path), resolve(path));
}

/** The console's users file: `console.usersFile` from the config file's folder, else `console/users.json` in the data dir. */
export function consoleUsersFile(loaded: LoadedConfig, dataDir = loaded.dataDir): string {
  const file = loaded.config.console?.usersFile;
  return file === undefined ? join(dataDir, 'console', 'users.json') : resolve(dirname(loaded.path), file);
}
