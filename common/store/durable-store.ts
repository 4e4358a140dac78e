/**
 * A LevelDB store whose every write is synced to disk before it resolves: the write-ahead rule of every money flow
 * depends on it. Both the kiosk journal and the gateway journal/ledger sit on it.
 */
import { Level } from 'level';
import { QuancunError } from '../errors.ts';

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json | undefined };

export type Op = { type: 'put'; key: string; value: unknown } | { type: 'del'; key: string };

export class DurableStore {
  private readonly db: Level<string, string>;
  /** Synced writes since open: what the write-ahead rule costs, for benchmarks and the maintenance screen. */
  syncedWrites = 0;

  constructor(readonly path: string) {
    this.db = new Level<string, string>(path, { valueEncoding: 'utf8' });
  }

  async open(): Promise<void> {
    try {
      await this.db.open();
    } catch (err) {
      throw new QuancunError('JOURNAL_UNAVAILABLE', `cannot open store at ${this.path}: ${(err as Error).message}`, { path: this.path }, { cause: err });
    }
  }

  close(): Promise<void> {
    return this.db.close();
  }

  async get<T>(key: string): Promise<T | undefined> {
    const raw = await this.db.get(key);
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  /** Synced: resolves only once the write is on disk. */
  put(key: string, value: unknown): Promise<void> {
    this.syncedWrites++;
    return this.db.put(key, JSON.stringify(value), { sync: true });
  }

  /** Atomic and synced. */
  batch(ops: Op[]): Promise<void> {
    this.syncedWrites++;
    return this.db.batch(
      ops.map((op) => (op.type === 'put' ? { type: 'put' as const, key: op.key, value: JSON.stringify(op.value) } : op)),
      { sync: true },
    );
  }

  /** All entries whose key starts with prefix, in key order. */
  async list<T>(prefix: string): Promise<Array<{ key: string; value: T }>> {
    const out: Array<{ key: string; value: T }> = [];
    for await (const [key, value] of this.db.iterator({ gte: prefix, lt: prefix + '\xff' })) {
      out.push({ key, value: JSON.parse(value) as T });
    }
    return out;
  }
}
