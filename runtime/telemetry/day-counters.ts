/**
 * The kiosk's counters since the campus midnight (loads and their amount, refusals by error code, collects), kept in
 * the journal's store so a restart in the day does not zero them. Written after each transaction ends, outside the
 * money steps' batches: a lost count is a wrong figure on a dashboard, never money.
 */
import { campusTime } from '../../common/campus-time.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { EventPayload } from '../../common/api/topics.ts';
import type { FlowKind } from '../flows/flow.ts';

const KEY = 'telemetry/today';

export type DayCountersValue = EventPayload<'telemetry'>['today'];

/** How a load or collect ended, as counted. */
export interface TxnEnd {
  kind: Extract<FlowKind, 'load' | 'collect'>;
  amount: number;
  /** The money is on the card. */
  credited: boolean;
  /** Why a load ended without a credit. */
  code?: string;
}

export class DayCounters {
  #value: DayCountersValue;
  #writing: Promise<void> = Promise.resolve();

  constructor(
    private readonly timeZone: string,
    private readonly log: Logger,
    private store: DurableStore | undefined = undefined,
  ) {
    this.#value = empty(this.#today());
  }

  /** Continues the day's counts from the store (journal open); a store from an earlier day starts afresh. */
  async open(store: DurableStore): Promise<void> {
    this.store = store;
    const saved = await store.get<DayCountersValue>(KEY);
    if (saved?.date === this.#today()) this.#value = saved;
  }

  /** The counts of today (campus date): zero after midnight. */
  get value(): DayCountersValue {
    this.#roll();
    return structuredClone(this.#value);
  }

  count(end: TxnEnd): void {
    this.#roll();
    const v = this.#value;
    if (end.kind === 'collect') {
      if (!end.credited) return;
      v.collects.count++;
      v.collects.amount += end.amount;
    } else if (end.credited) {
      v.loads.count++;
      v.loads.amount += end.amount;
    } else {
      const code = end.code ?? 'INTERNAL';
      v.refusals[code] = (v.refusals[code] ?? 0) + 1;
    }
    const store = this.store;
    if (!store) return;
    const snapshot = structuredClone(v);
    this.#writing = this.#writing.then(() => store.put(KEY, snapshot)).catch((err: unknown) => {
      this.log.warn('day counters not saved', { error: err as Error });
    });
  }

  /** Resolves when the counts written so far are on disk (before the journal closes). */
  flushed(): Promise<void> {
    return this.#writing;
  }

  #today(): string {
    return campusTime(new Date(), this.timeZone).date;
  }

  #roll(): void {
    const today = this.#today();
    if (this.#value.date !== today) this.#value = empty(today);
  }
}

function empty(date: string): DayCountersValue {
  return { date, loads: { count: 0, amount: 0 }, refusals: {}, collects: { count: 0, amount: 0 } };
}
