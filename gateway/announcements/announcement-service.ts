/**
 * The gateway's announcements (公告): an operator writes one in zh and en, targets every kiosk, a campus (the kiosks
 * whose config entry names it) or chosen kiosks, and schedules it from–until. The gateway's store is the record; the
 * broker holds a retained copy per topic (common/api/topics.ts): one on the `all` topic, or one on each targeted
 * kiosk's own topic, which only that kiosk may read. Withdrawn or expired, the copies are cleared (empty payload).
 *
 * The broker's copies follow the store: at every connection the gateway publishes what is current again (a broker
 * that restarted without persistence has lost them) and clears what ended while it was away. Everything runs one
 * step at a time, so a withdrawal can never be overtaken by the publication it undoes.
 */
import { KeyedQueue } from '../../common/keyed-queue.ts';
import { EventEmitter } from 'node:events';
import { z } from 'zod';
import { announcementFields, announcementWindow, topicLevelSchema, topics, type AnnouncementPayload } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { timerAt, type TimerAt } from '../../common/timer-at.ts';

const targetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('all') }).strict(),
  z.object({ kind: z.literal('campus'), campus: topicLevelSchema }).strict(),
  z.object({ kind: z.literal('kiosks'), kioskIds: z.array(topicLevelSchema).min(1).max(500) }).strict(),
]);
export type AnnouncementTarget = z.output<typeof targetSchema>;

/** What an operator writes; `from` absent: now. */
export const announcementDraftSchema = announcementFields.pick({ title: true, body: true, until: true })
  .extend({ from: announcementFields.shape.from.optional(), target: targetSchema })
  .strict();
export type AnnouncementDraft = z.input<typeof announcementDraftSchema>;

export type AnnouncementStatus = 'scheduled' | 'live' | 'expired' | 'withdrawn';

export interface AnnouncementRecord extends AnnouncementPayload {
  target: AnnouncementTarget;
  /** Who published it: the console user, or the process that did. */
  publishedBy: string;
  withdrawnAt?: string;
  withdrawnBy?: string;
  /** The retained topics it was last published on: cleared when it ends, and those its target no longer covers. */
  topics: string[];
  /** Ended (withdrawn or expired) and its copies cleared on the broker. */
  cleared: boolean;
}

export interface Announcement extends AnnouncementRecord {
  status: AnnouncementStatus;
}

/** The broker as the service needs it: the gateway endpoint. */
export interface RetainedPublisher {
  readonly connected: boolean;
  retain(topic: string, payload: string): Promise<void>;
  /** `link` up (true) after every (re)connect and subscribe: what the broker should retain is published again. */
  on(event: 'link', listener: (up: boolean) => void): unknown;
}

export interface AnnouncementServiceOptions {
  store: DurableStore;
  /** The config's kiosks: ids and campuses, for targeting. */
  kiosks: ReadonlyArray<{ id: string; campus?: string | undefined }>;
  broker: RetainedPublisher;
  log: Logger;
  now?: () => Date;
  /** How long one broker publication may take before it is left to the next connection's pass; default 5 s. */
  publishTimeoutMs?: number;
}

const PREFIX = 'announce/';
const SEQ_KEY = 'meta/announcement-seq';

export class AnnouncementService extends EventEmitter<{ change: [announcement: Announcement] }> {
  readonly #o: AnnouncementServiceOptions;
  readonly #now: () => Date;
  readonly #timers = new Map<string, TimerAt>();
  /** One step at a time: a withdrawal must not be overtaken by the publication it undoes. */
  readonly #steps = new KeyedQueue();
  #running = false;

  constructor(o: AnnouncementServiceOptions) {
    super();
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
    o.broker.on('link', (up) => {
      if (up && this.#running) void this.#serial(() => this.#syncAll()).catch((err) => o.log.error('announcements not brought to the broker', { error: err as Error }));
    });
  }

  /** The campuses kiosks stand on (config `kiosks[].campus`), for the form. */
  get campuses(): string[] {
    return [...new Set(this.#o.kiosks.flatMap((k) => (k.campus ? [k.campus] : [])))].sort();
  }

  /** The kiosks one may target, with their campus, for the form. */
  get kiosks(): Array<{ id: string; campus?: string }> {
    return this.#o.kiosks.map((k) => ({ id: k.id, ...(k.campus ? { campus: k.campus } : {}) }));
  }

  /** Arms the timers of the announcements not ended; the broker is brought up to date at each connection. */
  async start(): Promise<void> {
    this.#running = true;
    for (const record of await this.#records()) this.#arm(record);
    if (this.#o.broker.connected) await this.#serial(() => this.#syncAll());
  }

  async stop(): Promise<void> {
    this.#running = false;
    for (const timer of this.#timers.values()) timer.cancel();
    this.#timers.clear();
    await this.#steps.idle();
  }

  /** Every announcement, newest first. */
  async list(): Promise<Announcement[]> {
    return (await this.#records()).map((r) => this.#view(r)).reverse();
  }

  async get(id: string): Promise<Announcement> {
    const record = await this.#o.store.get<AnnouncementRecord>(PREFIX + id);
    if (!record) throw new QuancunError('ANNOUNCEMENT_NOT_FOUND', `no announcement ${id}`, { id });
    return this.#view(record);
  }

  /** Keeps it and publishes it retained; ANNOUNCEMENT_INVALID naming what is wrong (nothing is kept then). */
  async publish(input: unknown, by: string): Promise<Announcement> {
    const draft = this.#parseDraft(input);
    return this.#serial(async () => {
      const now = this.#now().toISOString();
      const seq = ((await this.#o.store.get<number>(SEQ_KEY)) ?? 0) + 1;
      const id = `A${String(seq).padStart(6, '0')}`;
      const record: AnnouncementRecord = {
        id, title: draft.title, body: draft.body, from: draft.from ?? now, until: draft.until, publishedAt: now,
        target: draft.target, publishedBy: by, topics: [], cleared: false,
      };
      await this.#o.store.batch([{ type: 'put', key: PREFIX + id, value: record }, { type: 'put', key: SEQ_KEY, value: seq }]);
      this.#o.log.info('announcement published', { id, target: describe(record.target), from: record.from, until: record.until, by });
      this.#arm(record);
      return this.#changed(await this.#sync(record));
    });
  }

  /** Ends it now and clears its copies on the broker; ANNOUNCEMENT_STATE when it had already ended. */
  withdraw(id: string, by: string): Promise<Announcement> {
    return this.#serial(async () => {
      const record = (await this.get(id)) as AnnouncementRecord;
      const status = this.#status(record);
      if (status === 'withdrawn' || status === 'expired') throw new QuancunError('ANNOUNCEMENT_STATE', `announcement ${id} is already ${status}`, { id, status });
      const withdrawn: AnnouncementRecord = { ...stored(record), withdrawnAt: this.#now().toISOString(), withdrawnBy: by };
      await this.#o.store.put(PREFIX + id, withdrawn);
      this.#o.log.info('announcement withdrawn', { id, by });
      this.#timers.get(id)?.cancel();
      this.#timers.delete(id);
      return this.#changed(await this.#sync(withdrawn));
    });
  }

  #parseDraft(input: unknown) {
    const parsed = announcementDraftSchema.safeParse(input);
    if (!parsed.success) {
      const issues = parsed.error.issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
      throw new QuancunError('ANNOUNCEMENT_INVALID', issues);
    }
    const draft = parsed.data;
    const from = Date.parse(draft.from ?? this.#now().toISOString());
    if (Date.parse(draft.until) <= Math.max(from, this.#now().getTime())) {
      throw new QuancunError('ANNOUNCEMENT_INVALID', 'until: must be after from and after now');
    }
    if (this.#kioskIds(draft.target).length === 0) {
      const known = this.campuses.join(', ') || 'none configured';
      throw new QuancunError('ANNOUNCEMENT_INVALID', `target.campus: no kiosk stands on campus ${JSON.stringify((draft.target as { campus: string }).campus)} (campuses: ${known})`);
    }
    if (draft.target.kind === 'kiosks') {
      const unknown = draft.target.kioskIds.filter((id) => !this.#o.kiosks.some((k) => k.id === id));
      if (unknown.length > 0) throw new QuancunError('ANNOUNCEMENT_INVALID', `target.kioskIds: no kiosk ${unknown.join(', ')} in the config`);
    }
    return draft;
  }

  /** The kiosks a target reaches now ('all': every configured kiosk, though it is published once for all). */
  #kioskIds(target: AnnouncementTarget): string[] {
    switch (target.kind) {
      case 'all': return this.#o.kiosks.map((k) => k.id);
      case 'campus': return this.#o.kiosks.filter((k) => k.campus === target.campus).map((k) => k.id);
      case 'kiosks': return [...new Set(target.kioskIds)].filter((id) => this.#o.kiosks.some((k) => k.id === id));
    }
  }

  #topics(record: AnnouncementRecord): string[] {
    if (record.target.kind === 'all') return [topics.announcementForAll(record.id)];
    return this.#kioskIds(record.target).map((kioskId) => topics.announcementForKiosk(kioskId, record.id));
  }

  #status(record: AnnouncementRecord): AnnouncementStatus {
    return record.withdrawnAt ? 'withdrawn' : announcementWindow(record, this.#now().getTime());
  }

  #view(record: AnnouncementRecord): Announcement {
    return { ...record, status: this.#status(record) };
  }

  #changed(record: AnnouncementRecord): Announcement {
    const view = this.#view(record);
    this.emit('change', view);
    return view;
  }

  async #records(): Promise<AnnouncementRecord[]> {
    return (await this.#o.store.list<AnnouncementRecord>(PREFIX)).map((e) => e.value);
  }

  /** A timer at its start (its status changes: the console hears of it) and one at its end (its copies are cleared). */
  #arm(record: AnnouncementRecord): void {
    if (!this.#running || record.withdrawnAt) return;
    const step = () => {
      this.#timers.delete(record.id);
      void this.#serial(async () => {
        const current = await this.#o.store.get<AnnouncementRecord>(PREFIX + record.id);
        if (!current || current.withdrawnAt) return;
        this.#changed(await this.#sync(current));
        this.#arm(current);
      }).catch((err) => this.#o.log.error('announcement timer failed', { id: record.id, error: err as Error }));
    };
    const status = this.#status(record);
    if (status === 'expired') return;
    const at = Date.parse(status === 'scheduled' ? record.from : record.until);
    this.#timers.get(record.id)?.cancel();
    this.#timers.set(record.id, timerAt(at, step, () => this.#now().getTime()));
  }

  async #syncAll(): Promise<void> {
    for (const record of await this.#records()) {
      if (!record.cleared) await this.#sync(record);
    }
  }

  /**
   * Brings the broker's copies of one announcement in line with its record: published on the topics its target
   * covers while it has not ended, cleared on every topic once it has. What the broker did not take stays for the
   * next connection. Returns the record as kept.
   */
  async #sync(record: AnnouncementRecord): Promise<AnnouncementRecord> {
    const ended = this.#status(record) === 'withdrawn' || this.#status(record) === 'expired';
    const wanted = ended ? [] : this.#topics(record);
    const stale = record.topics.filter((t) => !wanted.includes(t));
    const payload = JSON.stringify(payloadOf(record));
    const done = (await Promise.all([
      ...stale.map((t) => this.#retain(t, '').then((ok) => (ok ? undefined : t))),
      ...wanted.map((t) => this.#retain(t, payload).then(() => t)),
    ])).filter((t): t is string => t !== undefined);
    // Topics kept: those wanted (published or not, the next pass publishes them) and the stale ones not yet cleared.
    const next: AnnouncementRecord = { ...record, topics: done, cleared: ended && done.length === 0 };
    if (JSON.stringify(next) !== JSON.stringify(record)) await this.#o.store.put(PREFIX + record.id, next);
    if (next.cleared && !record.cleared) this.#o.log.info('announcement cleared from the broker', { id: record.id, status: this.#status(record) });
    return next;
  }

  /** Whether the broker took it; a failure is left for the next connection's pass. */
  async #retain(topic: string, payload: string): Promise<boolean> {
    if (!this.#o.broker.connected) return false;
    let timer: NodeJS.Timeout | undefined;
    const timeoutMs = this.#o.publishTimeoutMs ?? 5000;
    try {
      await Promise.race([
        this.#o.broker.retain(topic, payload),
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new QuancunError('LINK_TIMEOUT', `no PUBACK within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return true;
    } catch (err) {
      this.#o.log.warn('announcement not published; the next connection brings it', { topic, clear: payload === '', error: (err as Error).message });
      return false;
    } finally {
      clearTimeout(timer);
    }
  }

  #serial<T>(job: () => Promise<T>): Promise<T> {
    return this.#steps.run('announcements', job);
  }
}

/** The record without the status a view adds. */
function stored(a: Announcement | AnnouncementRecord): AnnouncementRecord {
  const { status: _, ...record } = a as Announcement;
  return record;
}

/** What the kiosks are sent: no target, no operator's name. */
function payloadOf(r: AnnouncementRecord): AnnouncementPayload {
  return { id: r.id, title: r.title, body: r.body, from: r.from, until: r.until, publishedAt: r.publishedAt };
}

function describe(target: AnnouncementTarget): string {
  switch (target.kind) {
    case 'all': return 'all';
    case 'campus': return `campus ${target.campus}`;
    case 'kiosks': return `kiosks ${target.kioskIds.join(',')}`;
  }
}
