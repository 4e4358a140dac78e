/**
 * Every ISO 8583 message the gateway's bank links write or read, kept in the gateway's store for the console: decoded
 * field by field and already masked by the link (message-view.ts: no full card number, no PIN block, no working
 * keys), each answer with its answer time. Read by bank and time (a bank's session, answer times of a day) and by
 * campus transaction (the story of a load: its 0200/0210 and any 0400/0410).
 *
 * Keys: `iso/bank/<bank>/<time>/<n>` holds the message; `iso/txn/<campusRef>/<time>/<n>` points at it, and
 * `iso/at/<time>/<n>` lists both for pruning. Writes are grouped: messages that arrive while a batch is being synced
 * go in the next one, so the money path never waits on this log, and a failed write loses a log entry, never a load.
 * Kept `retentionDays` (default 30): older messages are pruned at start and once a day.
 */
import { campusTime, dayBounds } from '../../common/campus-time.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import type { LinkMessage } from './bank-link.ts';
import type { MessageView } from './iso8583/message-view.ts';

export interface IsoEntry extends MessageView {
  bankId: string;
  direction: LinkMessage['direction'];
  at: string;
  campusRef?: string;
  stan?: string;
  responseCode?: string;
  /** For an answer: ms from its request written to the answer read. */
  answerMs?: number;
}

export interface AnswerTimes {
  bankId: string;
  /** The campus business day, yyyy-mm-dd. */
  date: string;
  count: number;
  /** Nearest-rank percentiles of the day's answers, ms; null without answers. */
  p50: number | null;
  p99: number | null;
  /** Each hour of the day from its start (unix seconds), for a chart. */
  hours: Array<{ start: number; count: number; p50: number | null; p99: number | null }>;
}

export interface IsoJournalOptions {
  log: Logger;
  /** Messages older than this many days are pruned; default 30. */
  retentionDays?: number;
  now?: () => Date;
}

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;
const PRUNE_CHUNK = 500;
const seg = (s: string) => encodeURIComponent(s);
const bankPrefix = (bankId: string) => `iso/bank/${seg(bankId)}/`;
const txnPrefix = (ref: string) => `iso/txn/${seg(ref)}/`;
const field = (view: MessageView, no: number) => view.fields.find((f) => f.no === no && !f.hidden)?.value;

/** Nearest-rank percentile of ascending `sorted`. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export class IsoJournal {
  readonly retentionDays: number;
  readonly #store: DurableStore;
  readonly #log: Logger;
  readonly #now: () => Date;
  #n = 0;
  #queue: Op[] = [];
  #writing: Promise<void> | null = null;
  #pruneTimer: NodeJS.Timeout | null = null;

  constructor(store: DurableStore, options: IsoJournalOptions) {
    this.#store = store;
    this.#log = options.log;
    this.#now = options.now ?? (() => new Date());
    this.retentionDays = options.retentionDays ?? 30;
  }

  /** The bank link's `onMessage` hook for bank `bankId`. */
  tap(bankId: string): (message: LinkMessage) => void {
    return (m) => this.#keep(bankId, m);
  }

  /** Prunes now and then once a day. */
  async start(): Promise<void> {
    await this.prune();
    this.#pruneTimer = setInterval(() => void this.prune().catch((err) => this.#log.warn('pruning bank messages failed', { error: err as Error })), DAY_MS);
    this.#pruneTimer.unref();
  }

  /** Stops pruning and waits for the messages still being written (before the store closes). */
  async stop(): Promise<void> {
    if (this.#pruneTimer) clearInterval(this.#pruneTimer);
    this.#pruneTimer = null;
    await this.flush();
  }

  /** Resolves once every message handed over so far is written. */
  async flush(): Promise<void> {
    while (this.#writing) await this.#writing;
  }

  /** Removes messages older than the retention; how many. */
  async prune(): Promise<number> {
    await this.flush();
    const cutoff = new Date(this.#now().getTime() - this.retentionDays * DAY_MS).toISOString();
    let pruned = 0;
    for (;;) {
      const old = await this.#store.list<string[]>('iso/at/', { before: `iso/at/${cutoff}`, limit: PRUNE_CHUNK });
      if (old.length === 0) break;
      await this.#store.batch(old.flatMap((e) => [e.key, ...e.value]).map((key) => ({ type: 'del' as const, key })));
      pruned += old.length;
    }
    if (pruned > 0) this.#log.info('pruned bank messages past their retention', { pruned, retentionDays: this.retentionDays });
    return pruned;
  }

  /** One campus transaction's messages, oldest first. */
  async forTxn(campusRef: string): Promise<IsoEntry[]> {
    await this.flush();
    const pointers = await this.#store.list<string>(txnPrefix(campusRef));
    const entries = await Promise.all(pointers.map((p) => this.#store.get<IsoEntry>(p.value)));
    return entries.filter((e): e is IsoEntry => e !== undefined);
  }

  /** A bank's messages from `from` until before `to`, oldest first (newest first with `newestFirst`), at most `limit`. */
  async forBank(bankId: string, window: { from?: Date; to?: Date; limit?: number; newestFirst?: boolean } = {}): Promise<IsoEntry[]> {
    await this.flush();
    const prefix = bankPrefix(bankId);
    return (await this.#store.list<IsoEntry>(prefix, {
      ...(window.from ? { from: prefix + window.from.toISOString() } : {}),
      ...(window.to ? { before: prefix + window.to.toISOString() } : {}),
      ...(window.limit !== undefined ? { limit: window.limit } : {}),
      reverse: window.newestFirst ?? false,
    })).map((e) => e.value);
  }

  /** The answer times of a campus business day (default today), overall and per hour. */
  async answerTimes(bankId: string, timeZone: string, date = campusTime(this.#now(), timeZone).date): Promise<AnswerTimes> {
    const { start, end } = dayBounds(date, timeZone);
    const answers = (await this.forBank(bankId, { from: start, to: end })).filter((e) => e.answerMs !== undefined);
    const sorted = (list: IsoEntry[]) => list.map((e) => e.answerMs!).sort((a, b) => a - b);
    const all = sorted(answers);
    const hours: AnswerTimes['hours'] = [];
    for (let t = start.getTime(); t < end.getTime(); t += HOUR_MS) {
      const from = new Date(t).toISOString();
      const to = new Date(t + HOUR_MS).toISOString();
      const inHour = sorted(answers.filter((e) => e.at >= from && e.at < to));
      hours.push({ start: t / 1000, count: inHour.length, p50: percentile(inHour, 50), p99: percentile(inHour, 99) });
    }
    return { bankId, date, count: all.length, p50: percentile(all, 50), p99: percentile(all, 99), hours };
  }

  #keep(bankId: string, m: LinkMessage): void {
    const at = m.at.toISOString();
    const tail = `${at}/${String(this.#n++).padStart(8, '0')}`;
    const key = bankPrefix(bankId) + tail;
    const stan = field(m.view, 11);
    const responseCode = m.direction === 'received' ? field(m.view, 39) : undefined;
    const entry: IsoEntry = {
      ...m.view, bankId, direction: m.direction, at,
      ...(m.campusRef ? { campusRef: m.campusRef } : {}), ...(stan ? { stan } : {}), ...(responseCode ? { responseCode } : {}),
      ...(m.answerMs !== undefined ? { answerMs: m.answerMs } : {}),
    };
    const txnKey = m.campusRef ? txnPrefix(m.campusRef) + tail : undefined;
    this.#queue.push(
      { type: 'put', key, value: entry },
      { type: 'put', key: `iso/at/${tail}`, value: txnKey ? [key, txnKey] : [key] },
      ...(txnKey ? [{ type: 'put' as const, key: txnKey, value: key }] : []),
    );
    this.#writing ??= this.#drain();
  }

  async #drain(): Promise<void> {
    while (this.#queue.length > 0) {
      const ops = this.#queue.splice(0);
      try {
        await this.#store.batch(ops);
      } catch (err) {
        this.#log.error('bank messages could not be kept', { writes: ops.length, error: err as Error });
      }
    }
    this.#writing = null;
  }
}
