/**
 * Reads kept in memory for a store only this process writes (LevelDB's LOCK; PostgreSQL's owner lock and epoch): a
 * card's open loads, credits and fees in doubt are listed on every `card.lookup` and `load.authorize`, and a load's
 * record is read at each of its steps, while they change far less often. Through LevelDB each list is an iterator
 * crossing to its thread pool and back; through PostgreSQL each read is a round trip to the server.
 *
 * A kept read is dropped by every write of its key (a value) or of a key under it (a list), when the write starts
 * and again when it ends, and a read that ran while such a write started or ended is not kept. So a read handed out
 * never misses a write that had ended before it was asked for, as with the database itself.
 */
import type { ListRange, RawEntries } from './durable-store.ts';

/** A list longer than this is read from the database each time (a whole machine's records, not a card's index). */
const MAX_ENTRIES = 16;

/** A value as stored (JSON text), or null: no such key. */
export type RawValue = string | null;

type Mark = { stale: boolean };

export class ReadCache {
  /** Kept reads, least recently used first: `L<prefix>` a list, `V<key>` a value. */
  readonly #kept = new Map<string, RawEntries | RawValue>();
  /** Reads under way, each marked when a write of what it reads starts or ends during it. */
  readonly #reading = new Map<string, Set<Mark>>();

  /** @param maxKept reads kept at most; the least recently used goes first. */
  constructor(private readonly maxKept = 20_000) {}

  /** Kept only for a whole prefix (no range) that ends at a `/` (a key path): what a write's prefixes can drop. */
  list(prefix: string, range: ListRange, read: () => Promise<RawEntries>): Promise<RawEntries> {
    if (Object.keys(range).length > 0 || !prefix.endsWith('/')) return read();
    return this.#read(`L${prefix}`, read, (entries) => entries.length <= MAX_ENTRIES) as Promise<RawEntries>;
  }

  get(key: string, read: () => Promise<RawValue>): Promise<RawValue> {
    return this.#read(`V${key}`, read, () => true) as Promise<RawValue>;
  }

  /** Runs a write of `keys`, dropping every kept read of them, or of a list holding one, before and after it. */
  async write<T>(keys: Iterable<string>, write: () => Promise<T>): Promise<T> {
    const tags = this.#tagsOf(keys);
    this.#drop(tags);
    try {
      return await write();
    } finally {
      this.#drop(tags);
    }
  }

  /** The store was closed or opened again: nothing read before holds. */
  clear(): void {
    this.#kept.clear();
    for (const marks of this.#reading.values()) for (const mark of marks) mark.stale = true;
  }

  async #read<V extends RawEntries | RawValue>(tag: string, read: () => Promise<V>, keep: (v: V) => boolean): Promise<V> {
    if (this.#kept.has(tag)) {
      const kept = this.#kept.get(tag) as V;
      // Read again: the most recently used is the last to go.
      this.#kept.delete(tag);
      this.#kept.set(tag, kept);
      return kept;
    }
    const mark = { stale: false };
    let marks = this.#reading.get(tag);
    if (!marks) this.#reading.set(tag, (marks = new Set()));
    marks.add(mark);
    let value: V;
    try {
      value = await read();
    } finally {
      marks.delete(mark);
      if (marks.size === 0) this.#reading.delete(tag);
    }
    if (!mark.stale && keep(value)) {
      this.#kept.set(tag, value);
      if (this.#kept.size > this.maxKept) this.#kept.delete(this.#kept.keys().next().value!);
    }
    return value;
  }

  /** Each key's value, and every `/`-ended prefix of it: the reads a write of it changes. */
  #tagsOf(keys: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const key of keys) {
      out.add(`V${key}`);
      for (let i = key.indexOf('/'); i !== -1; i = key.indexOf('/', i + 1)) out.add(`L${key.slice(0, i + 1)}`);
    }
    return out;
  }

  #drop(tags: Set<string>): void {
    for (const tag of tags) {
      this.#kept.delete(tag);
      const marks = this.#reading.get(tag);
      if (marks) for (const mark of marks) mark.stale = true;
    }
  }
}

