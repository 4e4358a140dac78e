/**
 * The announcements a kiosk holds from the broker (retained, common/api/topics.ts): those for all kiosks and its
 * own. It shows each from its `from` until its `until` by its own clock, with one timer at the next of those
 * instants (not a poll), so one ends on time even while the kiosk is offline. A payload that does not validate is
 * logged with its code and ignored; an empty one (withdrawn or expired at the gateway) drops what that topic held.
 * At every connection the broker sends what it retains again, so the board starts over then: an announcement
 * withdrawn while the kiosk was away is not sent again and must not stay.
 */
import { EventEmitter } from 'node:events';
import { announcementWindow, parseAnnouncement, type AnnouncementPayload } from '../../common/api/topics.ts';
import { campusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { timerAt, type TimerAt } from '../../common/timer-at.ts';
import type { Announcement } from '../../screens/view-model.ts';

export interface AnnouncementBoardOptions {
  log: Logger;
  /** The campus's zone: the date shown beside a title is the campus date of its `from`. */
  timeZone: string;
  now?: () => Date;
}

export class AnnouncementBoard extends EventEmitter<{ change: [] }> {
  /** By the topic each came on. */
  readonly #held = new Map<string, AnnouncementPayload>();
  readonly #o: AnnouncementBoardOptions;
  #timer: TimerAt | undefined;

  constructor(o: AnnouncementBoardOptions) {
    super();
    this.#o = o;
  }

  /** A new connection: only what the broker retains now counts. */
  reset(): void {
    if (this.#held.size === 0) return;
    this.#held.clear();
    this.#changed();
  }

  /** A retained message on an announcement topic: `id` is the topic's last level. */
  receive(topic: string, id: string, payload: Buffer): void {
    if (payload.length === 0) {
      if (this.#held.delete(topic)) this.#changed();
      return;
    }
    let announcement: AnnouncementPayload;
    try {
      announcement = parseAnnouncement(payload);
      if (announcement.id !== id) throw new QuancunError('LINK_BAD_MESSAGE', `announcement: id: is ${announcement.id}, the topic says ${id}`);
    } catch (err) {
      const error = QuancunError.from(err);
      this.#o.log.warn('ignoring a malformed announcement', { topic, code: error.code, error: error.message });
      return;
    }
    this.#held.set(topic, announcement);
    this.#changed();
  }

  /** What to show now (from ≤ now < until), newest (latest `from`) first. */
  current(): Announcement[] {
    const now = this.#now();
    const seen = new Set<string>();
    return [...this.#held.values()]
      .filter((a) => announcementWindow(a, now) === 'live')
      .sort((a, b) => Date.parse(b.from) - Date.parse(a.from) || Date.parse(b.publishedAt) - Date.parse(a.publishedAt) || (a.id < b.id ? 1 : -1))
      .filter((a) => !seen.has(a.id) && seen.add(a.id))
      .map((a) => ({ id: a.id, date: campusTime(new Date(a.from), this.#o.timeZone).date.slice(5), title: a.title, body: a.body }));
  }

  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #now(): number {
    return (this.#o.now?.() ?? new Date()).getTime();
  }

  /** Forgets what has ended, sets the timer for the next start or end, and tells the screens. */
  #changed(): void {
    const now = this.#now();
    for (const [topic, a] of this.#held) if (announcementWindow(a, now) === 'expired') this.#held.delete(topic);
    this.#timer?.cancel();
    const next = Math.min(...[...this.#held.values()].map((a) => (announcementWindow(a, now) === 'scheduled' ? Date.parse(a.from) : Date.parse(a.until))));
    this.#timer = Number.isFinite(next) ? timerAt(next, () => this.#changed(), () => this.#now()) : undefined;
    this.emit('change');
  }
}

/**
 * The notices on the screens: the published ones first, newest first, then the config file's in their order. The
 * gateway's are the campus's current word; the file's are standing notices of this kiosk. An id in both is the
 * gateway's.
 */
export function mergeAnnouncements(published: readonly Announcement[], configured: readonly Announcement[]): Announcement[] {
  const ids = new Set(published.map((a) => a.id));
  return [...published, ...configured.filter((a) => !ids.has(a.id))];
}
