/**
 * Wall-clock time on campus: the calendar date, the time of day and the next HH:MM in the campus's IANA time zone
 * (config `campus.timeZone`), whatever zone the machine is set to. Screens, receipts, card commands, the business day
 * and settlement all read the clock through here, so a kiosk or gateway on a UTC machine still counts a load at
 * 23:59:59 Beijing time into that Beijing day. Intl.DateTimeFormat carries the zone rules (Node ships full ICU).
 */
export const DEFAULT_TIME_ZONE = 'Asia/Shanghai';

export interface CampusTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  /** yyyy-mm-dd: the business day. */
  date: string;
  /** yyyymmdd: cards and card commands (BCD), a card's validity dates. */
  dateDigits: string;
  /** hhmmss. */
  timeDigits: string;
  /** yyyy-mm-dd hh:mm:ss: receipts and the screens' clock. */
  dateTime: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone: building one costs far more than formatting, and the screens ask every second. */
function formatter(zone: string): Intl.DateTimeFormat {
  let f = formatters.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric',
    });
    formatters.set(zone, f);
  }
  return f;
}

/** Whether Intl knows `zone` as an IANA time zone name. */
export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** How far `zone` is ahead of UTC at `t` (a whole second), ms, as Intl's zone rules say. */
function offsetFromRules(t: number, zone: string): number {
  const parts: Record<string, number> = {};
  for (const p of formatter(zone).formatToParts(new Date(t))) if (p.type !== 'literal') parts[p.type] = Number(p.value);
  const { year = 0, month = 1, day = 1, hour = 0, minute = 0, second = 0 } = parts;
  return Date.UTC(year, month - 1, day, hour, minute, second) - t;
}

/**
 * Offsets asked for, by zone and UTC minute: a gateway reads the campus clock several times per load, and Intl's
 * formatToParts costs far more than the arithmetic. Zones change their offset on a minute boundary (tzdb since 1970),
 * so one answer serves its whole minute. Kept small: old minutes are dropped wholesale.
 */
const offsets = new Map<string, number>();

/** How far `zone` is ahead of UTC at `t`, ms. */
function offsetAt(t: number, zone: string): number {
  const minute = Math.floor(t / 60_000);
  const key = `${zone} ${minute}`;
  let offset = offsets.get(key);
  if (offset === undefined) {
    if (offsets.size >= 1024) offsets.clear();
    offset = offsetFromRules(minute * 60_000, zone);
    offsets.set(key, offset);
  }
  return offset;
}

/** The wall clock in `zone` at the instant `at`. */
export function campusTime(at: Date, zone: string): CampusTime {
  const wall = new Date(Math.floor(at.getTime() / 1000) * 1000 + offsetAt(at.getTime(), zone));
  const [year, month, day] = [wall.getUTCFullYear(), wall.getUTCMonth() + 1, wall.getUTCDate()];
  const [hour, minute, second] = [wall.getUTCHours(), wall.getUTCMinutes(), wall.getUTCSeconds()];
  const date = `${pad(year, 4)}-${pad(month)}-${pad(day)}`;
  const time = `${pad(hour)}:${pad(minute)}:${pad(second)}`;
  return {
    year, month, day, hour, minute, second, date, dateDigits: date.replaceAll('-', ''), timeDigits: time.replaceAll(':', ''), dateTime: `${date} ${time}`,
  };
}

/** yyyy-mm-dd of a calendar date, overflow carried as Date does (day 32 of May is 1 June): no zone involved. */
export function calendarDate(year: number, month: number, day: number): string {
  return new Date(Date.UTC(year, month - 1, day)).toISOString().slice(0, 10);
}


const DAY_MS = 86_400_000;

/**
 * The instant the wall clock in `zone` reads `date` `hh:mm`. Across a DST change, as Temporal's "compatible": a time
 * the clocks skip is taken after the gap (02:30 on a spring-forward night is 03:30), a time they show twice is the
 * first one.
 */
function instantOf(date: string, hhmm: string, zone: string): Date {
  const [y, mo, d] = date.split('-').map(Number) as [number, number, number];
  const [h, mi] = hhmm.split(':').map(Number) as [number, number];
  const wall = Date.UTC(y, mo - 1, d, h, mi);
  // No zone changes its offset twice within two days: the offsets a day either side are every one this time can have.
  const before = offsetAt(wall - DAY_MS, zone);
  const after = offsetAt(wall + DAY_MS, zone);
  const reads = (t: number) => t + offsetAt(t, zone) === wall;
  const candidates = [wall - before, wall - after].filter(reads).sort((a, b) => a - b);
  return new Date(candidates[0] ?? wall - before);
}

/** The instants a campus business day `date` (yyyy-mm-dd) starts and the next one starts, in `zone`. */
export function dayBounds(date: string, zone: string): { start: Date; end: Date } {
  const [y, m, d] = date.split('-').map(Number) as [number, number, number];
  return { start: instantOf(date, '00:00', zone), end: instantOf(calendarDate(y, m, d + 1), '00:00', zone) };
}

/** The first instant strictly after `now` at which the wall clock in `zone` reads `hh:mm` (HH:MM, checked by its caller's schema). */
export function nextTimeOfDay(hhmm: string, now: Date, zone: string): Date {
  const today = campusTime(now, zone);
  // Two days on at most: a skipped HH:MM is taken after its gap, so it is never more than a day and an hour away.
  for (let i = 0; ; i++) {
    const at = instantOf(calendarDate(today.year, today.month, today.day + i), hhmm, zone);
    if (at.getTime() > now.getTime()) return at;
  }
}
