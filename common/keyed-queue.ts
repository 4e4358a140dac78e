/**
 * Jobs that must not interleave, run one after another in the order given, per key; jobs of different keys run at
 * once. A job that fails fails its own caller only: the next one runs all the same. What one kiosk asks of the
 * gateway, what is done to one load, the announcements and the reports each take their turn here.
 */
export class KeyedQueue<K = string> {
  readonly #tails = new Map<K, Promise<void>>();

  /** Runs `job` once every job queued before it under `key` has ended; its result or failure. */
  run<T>(key: K, job: () => Promise<T>): Promise<T> {
    const done = (this.#tails.get(key) ?? Promise.resolve()).then(job);
    const tail = done.then(() => {}, () => {});
    this.#tails.set(key, tail);
    void tail.then(() => {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    });
    return done;
  }

  /** Resolves once every job queued so far, under any key, has ended. */
  async idle(): Promise<void> {
    await Promise.all(this.#tails.values());
  }
}
