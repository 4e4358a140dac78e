/**
 * The system trace audit number (field 11) of one bank terminal: one journaled counter per terminal id, for every
 * message the gateway originates on it (sign-on, sign-off, line check, transfer, settlement). The bank rejects a
 * STAN it saw from the terminal that day, and reconciliation matches by it, so a STAN is never handed out twice,
 * across gateway restarts included. Batch uploads (0320) and reversals (0400) repeat their transfer's STAN.
 */
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { StanStore } from './bank-link.ts';

/** Where all banks' transfers counted before one counter per terminal; read once so an upgrade repeats none. */
const LEGACY_KEY = 'meta/stan';

export class StanCounter implements StanStore {
  readonly #store: DurableStore;
  readonly #key: string;
  #last: number | undefined;
  #queue: Promise<unknown> = Promise.resolve();

  constructor(store: DurableStore, terminalId: string) {
    this.#store = store;
    this.#key = `gw/stan/${terminalId}`;
  }

  /**
   * The next STAN (999999 wraps to 1), handed to `write` with the op that records it: `write` puts that op in the same
   * synced batch as what the STAN is for. Reservations run one after another, each once the one before is on disk,
   * so concurrent callers never share a STAN and the counter on disk never moves back.
   */
  reserve<T>(write: (stan: number, reserve: Op) => Promise<T>): Promise<T> {
    const run = this.#queue.then(async () => {
      const last = this.#last ?? (await this.#store.get<number>(this.#key)) ?? (await this.#store.get<number>(LEGACY_KEY)) ?? 0;
      // Counted before the write: a write that fails leaves a gap, never a STAN given out again.
      this.#last = (last % 999999) + 1;
      return write(this.#last, { type: 'put', key: this.#key, value: this.#last });
    });
    this.#queue = run.catch(() => {});
    return run;
  }

  /** A STAN on its own (sign-on, sign-off, line check, settlement): its counter write is synced before it is sent. */
  next(): Promise<number> {
    return this.reserve(async (stan, reserve) => {
      await this.#store.batch([reserve]);
      return stan;
    });
  }
}

/** One counter per terminal id, however many configured banks name it. */
export class StanCounters {
  readonly #counters = new Map<string, StanCounter>();

  constructor(private readonly store: DurableStore) {}

  forTerminal(terminalId: string): StanCounter {
    let counter = this.#counters.get(terminalId);
    if (!counter) this.#counters.set(terminalId, (counter = new StanCounter(this.store, terminalId)));
    return counter;
  }
}
