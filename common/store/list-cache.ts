/**
 * Small key-prefix lists kept in memory for a store only this process writes (LevelDB's LOCK): a card's open loads,
 * credits and fees in doubt are listed on every `card.lookup` and `load.authorize` and change far less often, and
 * each list through LevelDB is an iterator whose steps cross to its thread pool and back.
 *
 * A list is dropped by every write of a key under it, when the write starts and again when it ends; a list read
 * while such a write ran is not kept. So a list handed out never misses a write that had ended before it was asked
 * for, as with the database itself.
 */

/** A list longer than this is read from the database each time (a whole machine's records, not a card's index). */
const MAX_ENTRIES = 16;
/** Prefixes kept at most; the least recently read goes first. */
const MAX_PREFIXES = 20_000;

export type RawEntries = ReadonlyArray<readonly [key: string, value: string]>;

export class ListCache {
  readonly #lists = new Map<string, RawEntries>();
  /** Reads under way per prefix, each marked when a write under the prefix starts or ends during it. */
  readonly #reading = new Map<string, Set<{ stale: boolean }>>();

  /** Whether `list(prefix)` with no range may come from here: prefixes end at a `/` (key paths). */
  static covers(prefix: string): boolean {
    return prefix.endsWith('/');
  }

  /** The prefix's entries: kept ones, or `read`'s, kept unless a write under the prefix ran meanwhile. */
  async list(prefix: string, read: () => Promise<RawEntries>): Promise<RawEntries> {
    const kept = this.#lists.get(prefix);
    if (kept) {
      // Read again: the most recently read is the last to go.
      this.#lists.delete(prefix);
      this.#lists.set(prefix, kept);
      return kept;
    }
    const mark = { stale: false };
    let marks = this.#reading.get(prefix);
    if (!marks) this.#reading.set(prefix, (marks = new Set()));
    marks.add(mark);
    let entries: RawEntries;
    try {
      entries = await read();
    } finally {
      marks.delete(mark);
      if (marks.size === 0) this.#reading.delete(prefix);
    }
    if (!mark.stale && entries.length <= MAX_ENTRIES) {
      this.#lists.set(prefix, entries);
      if (this.#lists.size > MAX_PREFIXES) this.#lists.delete(this.#lists.keys().next().value!);
    }
    return entries;
  }

  /** Runs a write of `keys`, dropping every list that holds one of them before and after it. */
  async write<T>(keys: Iterable<string>, write: () => Promise<T>): Promise<T> {
    const prefixes = this.#prefixesOf(keys);
    this.#drop(prefixes);
    try {
      return await write();
    } finally {
      this.#drop(prefixes);
    }
  }

  /** The store was closed or opened again: nothing read before holds. */
  clear(): void {
    this.#lists.clear();
    for (const marks of this.#reading.values()) for (const mark of marks) mark.stale = true;
  }

  /** Every `/`-ended prefix of each key: the lists a write of it changes. */
  #prefixesOf(keys: Iterable<string>): Set<string> {
    const out = new Set<string>();
    for (const key of keys) {
      for (let i = key.indexOf('/'); i !== -1; i = key.indexOf('/', i + 1)) out.add(key.slice(0, i + 1));
    }
    return out;
  }

  #drop(prefixes: Set<string>): void {
    for (const prefix of prefixes) {
      this.#lists.delete(prefix);
      const marks = this.#reading.get(prefix);
      if (marks) for (const mark of marks) mark.stale = true;
    }
  }
}
