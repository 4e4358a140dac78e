/**
 * The durable store every journal and the campus ledger sit on: a sorted key-value store of JSON values whose every
 * write is on disk (synced, or committed) before it resolves — the write-ahead rule of every money flow depends on
 * it — and whose batches are atomic. Two backends, one contract (test/contract/durable-store.contract.ts):
 * LevelDB (level-store.ts: the kiosk journal, and the gateway's embedded default) and PostgreSQL
 * (gateway/store/pg-store.ts: the gateway in a data centre, beside the campus's database).
 */

import { QuancunError } from '../errors.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

/** A window of keys within a prefix (see DurableStore.list). */
export interface ListRange {
  from?: string;
  before?: string;
  reverse?: boolean;
  limit?: number;
}

/**
 * `check`: the batch is written only if `key` holds exactly `value` (the same JSON text) when it is written; if it
 * holds anything else, or nothing, the whole batch fails JOURNAL_CONFLICT and nothing of it is written. What a state
 * machine writes over is the state it read: a step taken from a stale copy is refused, never written over a newer one.
 */
export type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string } | { type: 'check'; key: string; value: unknown };

export interface Entry<T = unknown> {
  key: string;
  value: T;
}

/** An operation with its value already JSON text (null: delete). */
export type RawOp = readonly [key: string, value: string | null];

/** A batch's checks: each key with the JSON text it must hold. */
export type RawCheck = readonly [key: string, value: string];

/** A batch as a backend writes it: its writes in order, and its checks. */
export interface RawBatch {
  writes: RawOp[];
  checks: RawCheck[];
}

/** Serialised when asked for: a value its caller changes while the batch waits for its write is written as it was. */
export function rawBatch(ops: readonly Op[]): RawBatch {
  const batch: RawBatch = { writes: [], checks: [] };
  for (const op of ops) {
    if (op.type === 'check') batch.checks.push([op.key, JSON.stringify(op.value)]);
    else batch.writes.push([op.key, op.type === 'put' ? JSON.stringify(op.value) : null]);
  }
  return batch;
}

/** Refused by a batch's check: what was read changed, or went, before the write. */
export function conflict(store: string, key: string): QuancunError {
  return new QuancunError('JOURNAL_CONFLICT', `${key} changed since it was read: nothing of this write was written`, { store, key });
}

/** Entries as a backend reads them: keys and JSON text. */
export type RawEntries = ReadonlyArray<readonly [key: string, value: string]>;

/** Entries parsed for each caller, from the database or kept: one may change what it was given. */
export function parsed<T>(raw: RawEntries): Array<Entry<T>> {
  return raw.map(([key, value]) => ({ key, value: JSON.parse(value) as T }));
}

/** Above every key that starts with a prefix: the last code point, whose UTF-8 bytes sort after any other's. */
const PAST_PREFIX = '\u{10FFFF}';

/** The keys `list(prefix, range)` covers: from `gte` (inclusive) to `lt` (exclusive). */
export function keyWindow(prefix: string, range: ListRange): { gte: string; lt: string } {
  const end = prefix + PAST_PREFIX;
  return {
    gte: range.from !== undefined && range.from > prefix ? range.from : prefix,
    lt: range.before !== undefined && range.before < end ? range.before : end,
  };
}

/** Written when a store is first created: a store without it (a LevelDB repaired empty) has lost what it held. */
export const MARKER_KEY = 'meta/durable-store';

/** At open, once its checks passed: a store without its marker is a new one, and gets it. */
export async function markIfNew(store: DurableStore): Promise<void> {
  if ((await store.get(MARKER_KEY)) === undefined) await store.put(MARKER_KEY, { createdAt: new Date().toISOString() });
}

/** A durable write, counted with the time spent waiting for it in the store's syncedWrites and syncedWriteMs. */
export async function countedWrite(store: Pick<DurableStore, 'syncedWrites' | 'syncedWriteMs'>, write: () => Promise<unknown>): Promise<void> {
  const start = performance.now();
  store.syncedWrites++;
  try {
    await write();
  } finally {
    store.syncedWriteMs += performance.now() - start;
  }
}

export interface DurableStore {
  /** Where the store is, for messages: a folder, or a database without its password. */
  readonly location: string;
  /** Synced writes since open, and the time spent waiting for them: what the write-ahead rule costs (bench/). */
  syncedWrites: number;
  syncedWriteMs: number;
  /** Fails JOURNAL_UNAVAILABLE (held elsewhere, unreachable) or JOURNAL_DAMAGED with what an operator must do. */
  open(): Promise<void>;
  close(): Promise<void>;
  get<T>(key: string): Promise<T | undefined>;
  /** Resolves only once the write is durable. */
  put(key: string, value: unknown): Promise<void>;
  /** A durable write of a heartbeat key nothing reads: a watchdog's proof that the store still takes writes. */
  touch(): Promise<void>;
  /** Atomic and durable: every op or none, applied in order; a `check` that fails refuses it all (JOURNAL_CONFLICT). */
  batch(ops: Op[]): Promise<void>;
  /**
   * All entries whose key starts with prefix, in key order (by UTF-8 bytes); `range` narrows it to keys from `from`
   * (inclusive) to `before` (exclusive), newest last unless `reverse`, at most `limit` of them.
   */
  list<T>(prefix: string, range?: ListRange): Promise<Array<Entry<T>>>;
  /**
   * Each prefix's entries as of one moment: a reader comparing them (a record's state and the posting written in the
   * same batch) never sees half of a batch committed between two reads.
   */
  listAtOnce(prefixes: readonly string[]): Promise<Record<string, Entry[]>>;
  /**
   * Resolves, with why, once another process took this open store over (a PostgreSQL standby): every write is refused
   * from then on and whoever runs the store must stop. A store nothing can take over never resolves it.
   */
  readonly lost: Promise<string>;
}
