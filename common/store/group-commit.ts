/**
 * Group commit: while a synced write is under way, the batches asked for meanwhile wait, and go together in the next
 * write, in the order they were asked for. Each stays atomic (the write that holds it is), each caller's promise
 * resolves only once that write is durable, and a store that is idle writes a batch at once. Under load a gateway's
 * loads share their syncs instead of queueing for one each.
 *
 * The batches of one write succeed or fail together: a write the store refuses (JOURNAL_UNAVAILABLE, a lost lock)
 * rejects every caller in it, none of whose operations were applied. A batch's checks are decided just before the
 * write that would hold it, against the store and the batches ahead of it in that write: one that fails is left out
 * and refused alone.
 */
import type { RawBatch, RawOp } from './durable-store.ts';

/** Operations in one write at most (each batch whole): a backlog goes in several writes rather than one huge one. */
const MAX_OPS = 2000;

interface Waiting {
  batch: RawBatch;
  done: (err?: unknown) => void;
}

export interface GroupCommitOptions {
  /** One atomic, synced write of these operations, in order (the last on a key wins). */
  commit: (ops: RawOp[]) => Promise<void>;
  /** What a key holds now, as JSON text (undefined: nothing): read while no write is under way. */
  current: (key: string) => string | undefined;
  /** The refusal of a batch whose check of `key` failed. */
  conflict: (key: string) => Error;
}

export class GroupCommit {
  #waiting: Waiting[] = [];
  #writing = false;

  constructor(private readonly o: GroupCommitOptions) {}

  write(batch: RawBatch): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ batch, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      let count = 0;
      let size = 0;
      while (count < this.#waiting.length && (count === 0 || size + this.#waiting[count]!.batch.writes.length <= MAX_OPS)) {
        size += this.#waiting[count]!.batch.writes.length;
        count++;
      }
      const group = this.#admitted(this.#waiting.splice(0, count));
      if (group.length === 0) continue;
      let failure: unknown;
      try {
        await this.o.commit(group.length === 1 ? group[0]!.batch.writes : group.flatMap((w) => w.batch.writes));
      } catch (err) {
        failure = err ?? new Error('write failed');
      }
      for (const w of group) w.done(failure);
    }
    this.#writing = false;
  }

  /** The batches whose checks hold, each against the store as the admitted batches before it leave it; the others refused. */
  #admitted(group: Waiting[]): Waiting[] {
    const ahead = new Map<string, string | null>();
    const admitted: Waiting[] = [];
    for (const w of group) {
      let failed: string | undefined;
      try {
        failed = w.batch.checks.find(([key, value]) => (ahead.has(key) ? ahead.get(key) : this.o.current(key)) !== value)?.[0];
      } catch (err) {
        w.done(err);
        continue;
      }
      if (failed !== undefined) {
        w.done(this.o.conflict(failed));
        continue;
      }
      for (const [key, value] of w.batch.writes) ahead.set(key, value);
      admitted.push(w);
    }
    return admitted;
  }
}
