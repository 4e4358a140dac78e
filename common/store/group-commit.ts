/**
 * Group commit: while a synced write is under way (or as many as the store overlaps), the batches asked for meanwhile
 * wait, and go together in the next write, in the order they were asked for. Each stays atomic (the write that holds it is), each caller's promise
 * resolves only once that write is durable, and a store that is idle writes a batch at once. Under load a gateway's
 * loads share their syncs and round trips instead of queueing for one each.
 *
 * The batches of one write succeed or fail together: a write the store refuses (JOURNAL_UNAVAILABLE, a lost lock)
 * rejects every caller in it, none of whose operations were applied.
 */
import type { Op } from './durable-store.ts';

/** An operation with its value already JSON text (null: delete), taken when it was asked for. */
export type RawOp = readonly [key: string, value: string | null];

/** Serialised when asked for: a value changed by its caller while its batch waits is written as it was. */
export function rawOps(ops: readonly Op[]): RawOp[] {
  return ops.map((op) => [op.key, op.type === 'put' ? JSON.stringify(op.value) : null]);
}

/** Operations in one write at most (each batch whole): a backlog goes in several writes rather than one huge one. */
const MAX_OPS = 2000;

interface Waiting {
  ops: RawOp[];
  done: (err?: unknown) => void;
}

export class GroupCommit {
  #waiting: Waiting[] = [];
  #writing = 0;

  /**
   * @param commit one atomic, synced write of these operations, in order (the last on a key wins).
   * @param lanes writes under way at once (LevelDB writes one after another anyway: 1). Batches in different writes
   *   have no order between them, as separate writes never had: a caller that needs one write first waits for it.
   */
  constructor(private readonly commit: (ops: RawOp[]) => Promise<void>, private readonly lanes = 1) {}

  write(ops: RawOp[]): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#waiting.push({ ops, done: (err) => (err === undefined ? resolve() : reject(err)) });
      if (this.#writing < this.lanes) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing++;
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
    this.#writing--;
  }
}
