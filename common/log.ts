/**
 * A small structured logger: one JSON line per record on stderr (or a given sink). Field names that could carry
 * secrets are redacted here, once, so no caller can leak a PIN block, full card number or key by accident.
 */
export type Level = 'debug' | 'info' | 'warn' | 'error';
export type Fields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: Fields): void;
  info(msg: string, fields?: Fields): void;
  warn(msg: string, fields?: Fields): void;
  error(msg: string, fields?: Fields): void;
  child(bindings: Fields): Logger;
  /** The level this logger and every logger made from it (child, recording) write from; shared, so a change reaches all. */
  readonly level: Level;
  setLevel(level: Level): void;
  /** This logger, also keeping each record it and its children write (redacted) in `ring`. */
  recording(ring: LogRing): Logger;
}

/** The last `size` records written, already redacted: what a kiosk's remote diagnostics send. */
export class LogRing {
  readonly #records: Fields[] = [];

  constructor(readonly size = 200) {}

  push(record: Fields): void {
    this.#records.push(record);
    if (this.#records.length > this.size) this.#records.shift();
  }

  get records(): readonly Fields[] {
    return this.#records;
  }
}

const SECRET_KEYS = /^(pin|pinblock|pan|bankpan|pinpan12|asn|key|mk|tmk|pik|mak|dlk|dpk|dtk|masterkeys?|sessionkey)$/i;
const ORDER: Record<Level, number> = { debug: 10, info: 20, warn: 30, error: 40 };

/** Keeps the first 6 and last 4 digits of a card number, as payment practice allows. */
export function maskPan(pan: string): string {
  return pan.length <= 10 ? '*'.repeat(pan.length) : `${pan.slice(0, 6)}${'*'.repeat(pan.length - 10)}${pan.slice(-4)}`;
}

/** Every run of 13–20 digits in free text (a card number, a card's ASN) masked as `maskPan` does. */
export function maskCardNumbers(text: string): string {
  return text.replace(/\d{13,20}/g, maskPan);
}

function redact(value: unknown, depth = 0): unknown {
  if (depth > 4 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  const out: Fields = {};
  for (const [k, v] of Object.entries(value)) out[k] = SECRET_KEYS.test(k) ? '[redacted]' : redact(v, depth + 1);
  return out;
}

/** Gets each record as its JSON line and as the object (for sinks with fields of their own, such as the journal). */
export type LogSink = (line: string, record: Fields) => void;

interface LoggerOptions {
  level?: Level;
  sink?: LogSink;
  bindings?: Fields;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = options.level ?? (process.env.QUANCUN_LOG_LEVEL as Level | undefined) ?? 'info';
  return build(options, { level: ORDER[level] ? level : 'info' }, []);
}

function build(options: LoggerOptions, shared: { level: Level }, rings: readonly LogRing[]): Logger {
  const sink = options.sink ?? ((line: string) => process.stderr.write(line + '\n'));
  const bindings = options.bindings ?? {};
  const write = (level: Level, msg: string, fields?: Fields) => {
    if (ORDER[level] < ORDER[shared.level]) return;
    const record: Fields = { t: new Date().toISOString(), level, msg, ...(redact({ ...bindings, ...fields }) as Fields) };
    for (const ring of rings) ring.push(record);
    sink(JSON.stringify(record), record);
  };
  return {
    debug: (m, f) => write('debug', m, f),
    info: (m, f) => write('info', m, f),
    warn: (m, f) => write('warn', m, f),
    error: (m, f) => write('error', m, f),
    child: (more) => build({ ...options, bindings: { ...bindings, ...more } }, shared, rings),
    get level() {
      return shared.level;
    },
    setLevel(level) {
      shared.level = level;
    },
    recording: (ring) => build(options, shared, [...rings, ring]),
  };
}

/** For libraries and tests that must not print. */
export const silentLogger: Logger = createLogger({ sink: () => {} });
