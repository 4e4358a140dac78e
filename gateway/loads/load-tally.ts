/**
 * Today's loads by kiosk and the pending loads (圈存未领), kept in memory from the load journal's writes (`changed`)
 * after one read of the journal at start: the console and the metrics ask often, and a scan of every load ever made
 * each time would grow with the journal. "Today" is the campus business day (config campus.timeZone) of
 * reconciliation: the date a load's transfer was journaled as possibly sent.
 */
import { EventEmitter } from 'node:events';
import { campusTime } from '../../common/campus-time.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { businessDay, type GatewayLoadRecord, type GatewayLoadState } from './gateway-load-machine.ts';

export interface DayLoads {
  /** yyyy-mm-dd, campus time. */
  date: string;
  /** Loads that put money on a card (completed), and their amount in fen. */
  count: number;
  amount: number;
  /** Every load of the day by its gateway state, in progress or ended. */
  byState: Partial<Record<GatewayLoadState, { count: number; amount: number }>>;
}

interface Tallied {
  kioskId: string;
  state: GatewayLoadState;
  amount: number;
  day: string;
}

export class LoadTally extends EventEmitter<{ changed: [kioskId: string] }> {
  /** Loads of the current day, and pending loads of any day: all the tally needs, so it stays as small as a day. */
  readonly #kept = new Map<string, Tallied>();
  #date: string;

  constructor(
    private readonly loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>,
    private readonly timeZone: string,
    private readonly now: () => Date = () => new Date(),
  ) {
    super();
    this.#date = this.#today();
  }

  /** Follows the journal from now on, then reads it once; a record written meanwhile keeps its newer state. */
  async start(): Promise<void> {
    const seen = new Set<string>();
    this.loads.on('changed', (record) => {
      seen.add(record.id);
      this.#take(record);
    });
    for (const record of await this.loads.all()) if (!seen.has(record.id)) this.#take(record, false);
  }

  /** One kiosk's loads today. */
  today(kioskId: string): DayLoads {
    this.#roll();
    const day: DayLoads = { date: this.#date, count: 0, amount: 0, byState: {} };
    for (const t of this.#kept.values()) {
      if (t.kioskId !== kioskId || t.day !== this.#date) continue;
      const s = (day.byState[t.state] ??= { count: 0, amount: 0 });
      s.count++;
      s.amount += t.amount;
    }
    day.count = day.byState.completed?.count ?? 0;
    day.amount = day.byState.completed?.amount ?? 0;
    return day;
  }

  /** Pending loads (圈存未领) of any day: the money owed to cards. */
  pending(): { count: number; amount: number } {
    let count = 0;
    let amount = 0;
    for (const t of this.#kept.values()) {
      if (t.state !== 'pending-load') continue;
      count++;
      amount += t.amount;
    }
    return { count, amount };
  }

  #today(): string {
    return campusTime(this.now(), this.timeZone).date;
  }

  /** At the campus midnight the day's loads go; pending ones stay. */
  #roll(): void {
    const today = this.#today();
    if (today === this.#date) return;
    this.#date = today;
    for (const [id, t] of this.#kept) if (t.day !== today && t.state !== 'pending-load') this.#kept.delete(id);
  }

  #take(record: GatewayLoadRecord, announce = true): void {
    this.#roll();
    const day = businessDay(record, this.timeZone);
    if (day === this.#date || record.state === 'pending-load') {
      this.#kept.set(record.id, { kioskId: record.kioskId, state: record.state, amount: record.amount, day });
    } else {
      this.#kept.delete(record.id);
    }
    if (announce) this.emit('changed', record.kioskId);
  }
}
