/**
 * Group commit: while a synced write is under way, the batches asked for meanwhile wait, and go together in the next
 * write, in the order they were asked for. Each stays atomic (the write that holds it is), each caller's promise
 * resolves only once that write is durable, and a store that is idle writes a batch at once. Under load a gateway's
 * loads share their syncs instead of queueing for one each.
 *
 * The batches of one write succeed or fail together: a write the store refuses (JOURNAL_UNAVAILABLE, a lost lock)
 * rejects every caller in it, none of whose operations were applied.
 */
import type { RawOp } from './durable-store.ts';

/** Operations in one write at most (each batch whole): a backlog goes in several writes rather than one huge one. */
const MAX_OPS = 2000;

interface Waiting {
  ops: RawOp[];
  done: (err?: unknown) => void;
}

export class GroupCommit {
  #waiting: Waiting[] = [];
  #writing = false;

  /** @param commit one atomic, synced write of these operations, in order (the last on a key wins). */
  constructor(private readonly commit: (ops: RawOp[]) => Promise<void>) {}

  write(ops: RawOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ ops, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    while (this.#waiting.length > 0) {
      let count = 0;
      let size = 0;
      while (count < this.#waiting.length && (count === 0 || size + this.#waiting[count]!.ops.length <= MAX_OPS)) {
        size += this.#waiting[count]!.ops.length;
        count++;
      }
      const group = this.#waiting.splice(0, count);
      let failure: unknown;
      try {
        await this.commit(group.length === 1 ? group[0]!.ops : group.flatMap((w) => w.ops));
      } catch (err) {
        failure = err ?? new Error('write failed');
      }
      for (const w of group) w.done(failure);
    }
    this.#writing = false;
  }
}
