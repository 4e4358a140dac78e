/**
 * The LevelDB backend of the durable store (durable-store.ts): the kiosk journal's, and the gateway's embedded
 * default. Every write is synced to disk before it resolves: the write-ahead rule of every money flow depends on it.
 * One process at a time holds it (LevelDB's LOCK).
 *
 * Opening checks the database. One LevelDB reports as corrupt (power loss can leave it so) is repaired; a repair
 * that fails, or that comes back without the store's own marker (everything was lost), moves the folder aside to
 * `<path>.damaged-<time>` and fails JOURNAL_DAMAGED, then and at every later open while that copy is there: a damaged
 * journal is never silently replaced by an empty one; the process that owns it refuses to serve until an operator
 * has settled it and removed the copy.
 */
import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { Level } from 'level';
import { QuancunError } from '../errors.ts';
import { createLogger, type Logger } from '../log.ts';
import { GroupCommit } from './group-commit.ts';
import { ReadCache } from './read-cache.ts';
import {
  conflict, countedWrite, keyWindow, markIfNew, MARKER_KEY, parsed, rawBatch, type DurableStore, type Entry, type ListRange, type Op, type RawEntries, type RawOp,
} from './durable-store.ts';

/** `level` is classic-level on Node; its typings leave out classic-level's static repair (LevelDB's RepairDB). */
interface LevelRepair {
  repair(location: string): Promise<void>;
}

export class LevelStore implements DurableStore {
  /** Made in open(): a Level handle opens itself on the next tick, which must not happen before the checks. */
  private db!: Level<string, string>;
  private readonly log: Logger;
  /** Synced writes since open, and the time spent waiting for them: what the write-ahead rule costs (bench/). */
  syncedWrites = 0;
  syncedWriteMs = 0;
  /** LevelDB's LOCK keeps the folder this process's until it closes it: nothing takes it over. */
  readonly lost = new Promise<string>(() => {});
  /** This process alone writes the folder, so a card's small indexes can be listed from memory. */
  readonly #reads = new ReadCache();
  readonly #group = new GroupCommit({
    commit: (ops) => this.#commit(ops),
    current: (key) => {
      try {
        return this.db.getSync(key);
      } catch (err) {
        return this.#refused(err);
      }
    },
    conflict: (key) => conflict(this.path, key),
  });

  constructor(readonly path: string, options: { log?: Logger } = {}) {
    this.log = (options.log ?? createLogger()).child({ store: path });
  }

  get location(): string {
    return this.path;
  }

  private handle(): Level<string, string> {
    return new Level<string, string>(this.path, { valueEncoding: 'utf8' });
  }

  async open(): Promise<void> {
    this.#reads.clear();
    const aside = damagedCopies(this.path);
    if (aside.length > 0) {
      // A restart must not start empty over a journal that was moved aside: an operator settles it first.
      throw new QuancunError('JOURNAL_DAMAGED', `store at ${this.path} was moved aside as damaged; remove ${aside.join(', ')} once settled`, {
        path: this.path, movedTo: aside[0],
      });
    }
    let damage: string | undefined;
    if (lacksCurrent(this.path)) {
      // LevelDB would start a fresh database over the old files (and drop their tables): never let it.
      damage = 'files present but no CURRENT file';
    } else {
      try {
        this.db = this.handle();
        await this.db.open();
      } catch (err) {
        const reason = openFailure(err);
        if (/^IO error: lock /.test(reason)) throw lockedError(this.path, reason, err);
        if (!/corrupt/i.test(reason)) {
          throw new QuancunError('JOURNAL_UNAVAILABLE', `cannot open store at ${this.path}: ${reason}`, { path: this.path }, { cause: err });
        }
        damage = reason;
      }
    }
    if (damage === undefined) return markIfNew(this);
    await this.repair(damage);
  }

  /** Repairs, reopens and checks the marker; anything short of that moves the database aside. */
  private async repair(damage: string): Promise<void> {
    this.log.error('journal database is damaged: repairing', { path: this.path, damage });
    let failure: string;
    try {
      // LevelDB's repair rewrites CURRENT through a temporary file and fails when there is none to replace.
      if (!existsSync(join(this.path, 'CURRENT'))) writeFileSync(join(this.path, 'CURRENT'), 'MANIFEST-000000\n');
      await (Level as unknown as LevelRepair).repair(this.path);
      this.db = this.handle();
      await this.db.open();
      if ((await this.get(MARKER_KEY)) !== undefined) {
        this.log.error('journal database repaired: check the journal against the bank and the ledger', { path: this.path });
        return;
      }
      failure = 'the repaired database lost its contents';
      await this.db.close();
    } catch (err) {
      failure = openFailure(err);
      await this.db?.close().catch(() => {});
    }
    const movedTo = `${this.path}.damaged-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    renameSync(this.path, movedTo);
    this.log.error('journal database could not be repaired: moved aside, out of service', { path: this.path, movedTo, damage, failure });
    throw new QuancunError('JOURNAL_DAMAGED', `store at ${this.path} is damaged (${damage}; ${failure}); moved to ${movedTo}`, {
      path: this.path, movedTo,
    });
  }

  close(): Promise<void> {
    this.#reads.clear();
    return this.db?.close() ?? Promise.resolve();
  }

  /**
   * Read in the calling thread (getSync): a gateway's reads hit LevelDB's caches, and a read handed to the thread
   * pool cost more in the hand-over than in the read (the fleet benchmark: a fifth of the gateway's CPU per load).
   */
  async get<T>(key: string): Promise<T | undefined> {
    let raw: string | undefined;
    try {
      raw = this.db.getSync(key);
    } catch (err) {
      this.#refused(err);
    }
    return raw === undefined ? undefined : (JSON.parse(raw) as T);
  }

  /** Synced: resolves only once the write is on disk. */
  put(key: string, value: unknown): Promise<void> {
    return this.batch([{ type: 'put', key, value }]);
  }

  /**
   * LevelDB failed under a read or a write (closed under it, a disk error): JOURNAL_UNAVAILABLE, the code callers
   * answer and operators act on, whatever the binding's own error was.
   */
  readonly #refused = (err: unknown): never => {
    throw new QuancunError('JOURNAL_UNAVAILABLE', `store at ${this.path} refused: ${(err as Error).message}`, { path: this.path }, { cause: err });
  };

  /** A synced write of a heartbeat key nothing reads: a watchdog's proof that the store still takes writes. */
  touch(): Promise<void> {
    return this.put('meta/heartbeat', Date.now());
  }

  /** Atomic and synced; batches asked for while a write is under way go together in the next (group-commit.ts). */
  batch(ops: Op[]): Promise<void> {
    const raw = rawBatch(ops);
    return this.#reads.write(raw.writes.map(([key]) => key), () => this.#group.write(raw));
  }

  /**
   * Built as a chained batch: the array form clones and checks each operation again in JavaScript, about three times
   * the main thread's time per batch (the fleet benchmark: a tenth of the gateway's CPU per load).
   */
  #commit(ops: RawOp[]): Promise<void> {
    return countedWrite(this, async () => {
      let batch: ReturnType<Level<string, string>['batch']> | undefined;
      try {
        batch = this.db.batch();
        for (const [key, value] of ops) {
          if (value === null) batch.del(key);
          else batch.put(key, value);
        }
      } catch (err) {
        await batch?.close();
        return this.#refused(err);
      }
      await batch.write({ sync: true }).catch(this.#refused);
    });
  }

  /**
   * All entries whose key starts with prefix, in key order; `range` narrows it to keys from `from` (inclusive) to
   * `before` (exclusive), newest last unless `reverse`, at most `limit` of them (time-keyed logs read a window).
   */
  async list<T>(prefix: string, range: ListRange = {}): Promise<Array<Entry<T>>> {
    try {
      return parsed<T>(await this.#reads.list(prefix, range, () => this.#read(prefix, range)));
    } catch (err) {
      return this.#refused(err);
    }
  }

  /**
   * Each prefix's entries as of one moment (one LevelDB snapshot): a reader comparing them (a record's state and the
   * posting written in the same batch) never sees half of a batch committed between two reads.
   */
  async listAtOnce(prefixes: readonly string[]): Promise<Record<string, Array<{ key: string; value: unknown }>>> {
    try {
      const snapshot = this.db.snapshot();
      try {
        const out: Record<string, Array<{ key: string; value: unknown }>> = {};
        for (const prefix of prefixes) out[prefix] = parsed(await this.#read(prefix, {}, snapshot));
        return out;
      } finally {
        await snapshot.close();
      }
    } catch (err) {
      return this.#refused(err);
    }
  }

  #read(prefix: string, range: ListRange, snapshot?: ReturnType<Level<string, string>['snapshot']>): Promise<RawEntries> {
    const { gte, lt } = keyWindow(prefix, range);
    const options = { gte, lt, reverse: range.reverse ?? false, ...(range.limit !== undefined ? { limit: range.limit } : {}), ...(snapshot ? { snapshot } : {}) };
    // all(): the entries in as few calls into LevelDB as it takes (a card's index is one call, empty or not).
    return this.db.iterator(options).all();
  }
}

function damagedCopies(path: string): string[] {
  const prefix = `${basename(path)}.damaged-`;
  return existsSync(dirname(path)) ? readdirSync(dirname(path)).filter((f) => f.startsWith(prefix)).map((f) => join(dirname(path), f)) : [];
}

/** Data files but no CURRENT. Without data files it is a creation cut short (LOCK, LOG): LevelDB may start afresh. */
function lacksCurrent(path: string): boolean {
  return existsSync(path) && !existsSync(join(path, 'CURRENT')) && readdirSync(path).some((f) => /\.(log|ldb|sst)$|^MANIFEST-/.test(f));
}

/**
 * LevelDB's LOCK is held: by another process, or by another open of the same store in this one. Said in the words
 * of what to do, since the usual cause is a second gateway or kiosk started on the same dataDir.
 */
function lockedError(path: string, reason: string, cause: unknown): QuancunError {
  // LevelDB refuses a second open in the same process before it asks the kernel (and its refusal drops the first
  // open's POSIX lock, so /proc/locks no longer shows it).
  if (reason.endsWith('already held by process')) return new QuancunError('JOURNAL_UNAVAILABLE', `store at ${path} is already open in this process`, { path }, { cause });
  const holder = lockHolder(join(path, 'LOCK'));
  return new QuancunError(
    'JOURNAL_UNAVAILABLE',
    `store at ${path} is locked by ${holder ? `process ${holder.pid} (${holder.command})` : 'another process'}, probably a quancun gateway or kiosk using the same dataDir: stop that process, or give this one another dataDir in its config`,
    { path, ...(holder ? { pid: holder.pid } : {}) },
    { cause },
  );
}

/** The process holding a POSIX lock on `file`, from /proc/locks (Linux): the entry whose device and inode are the file's. */
function lockHolder(file: string): { pid: number; command: string } | undefined {
  try {
    const { dev, ino } = statSync(file, { bigint: true });
    // /proc/locks writes the device as hex major:minor; Linux packs a dev_t as glibc's gnu_dev_major/minor read it.
    const major = ((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn);
    const minor = (dev & 0xffn) | ((dev >> 12n) & ~0xffn);
    const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
    const entry = readFileSync('/proc/locks', 'utf8').split('\n').map((l) => l.trim().split(/\s+/)).find((f) => f[5] === id);
    if (!entry) return undefined;
    const pid = Number(entry[4]);
    const command = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
    return { pid, command };
  } catch {
    // Not Linux, or the holder went in the meantime: the message does without its pid.
    return undefined;
  }
}

/** classic-level wraps LevelDB's own message ("Corruption: ...") in its cause. */
function openFailure(err: unknown): string {
  const e = err as Error & { cause?: Error };
  return e.cause?.message ?? e.message;
}
