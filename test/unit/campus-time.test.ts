/**
 * The campus clock on fixed instants, against wall-clock times written by hand: Beijing (no DST) around midnight, and
 * Berlin and New York across their DST changes. The same conversions run again in child processes whose machine zone
 * is UTC and America/Los_Angeles, and must not change.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { calendarDate, campusTime, isTimeZone } from '../../common/campus-time.ts';
import { probe, type ProbeInput, type ProbeOutput } from '../support/campus-time-probe.ts';

const PROBE = fileURLToPath(new URL('../support/campus-time-probe.ts', import.meta.url));

/** [zone, instant, wall clock there]. */
const TIMES: Array<[string, number, string]> = [
  // The business day: 23:59:59 in Beijing on the 5th is 15:59:59 UTC; 00:00:01 on the 6th is still the 5th in UTC.
  ['Asia/Shanghai', Date.UTC(2026, 11, 5, 15, 59, 59), '2026-12-05 23:59:59'],
  ['Asia/Shanghai', Date.UTC(2026, 11, 5, 16, 0, 1), '2026-12-06 00:00:01'],
  ['Asia/Shanghai', Date.UTC(2026, 6, 1, 4, 0, 0), '2026-07-01 12:00:00'],
  // Berlin springs forward at 01:00 UTC on 29 March 2026 (02:00 CET becomes 03:00 CEST) ...
  ['Europe/Berlin', Date.UTC(2026, 2, 29, 0, 59, 59), '2026-03-29 01:59:59'],
  ['Europe/Berlin', Date.UTC(2026, 2, 29, 1, 0, 0), '2026-03-29 03:00:00'],
  // ... and falls back at 01:00 UTC on 25 October 2026: 02:30 is shown twice.
  ['Europe/Berlin', Date.UTC(2026, 9, 25, 0, 30, 0), '2026-10-25 02:30:00'],
  ['Europe/Berlin', Date.UTC(2026, 9, 25, 1, 30, 0), '2026-10-25 02:30:00'],
  // New York springs forward at 07:00 UTC on 8 March 2026; on New Year's Eve it is UTC-5.
  ['America/New_York', Date.UTC(2026, 2, 8, 6, 59, 59), '2026-03-08 01:59:59'],
  ['America/New_York', Date.UTC(2026, 2, 8, 7, 0, 0), '2026-03-08 03:00:00'],
  ['America/New_York', Date.UTC(2027, 0, 1, 4, 59, 59), '2026-12-31 23:59:59'],
  // Kathmandu is UTC+5:45: an offset that is not whole hours, asked twice in the same minute.
  ['Asia/Kathmandu', Date.UTC(2026, 11, 31, 18, 14, 59), '2026-12-31 23:59:59'],
  ['Asia/Kathmandu', Date.UTC(2026, 11, 31, 18, 15, 0), '2027-01-01 00:00:00'],
  ['Asia/Kathmandu', Date.UTC(2026, 11, 31, 18, 15, 59, 999), '2027-01-01 00:00:59'],
];

/** [zone, HH:MM, now, the next instant the wall clock there reads HH:MM]. */
const NEXT: Array<[string, string, number, string]> = [
  // 23:00 on 5 December in Beijing.
  ['Asia/Shanghai', '23:30', Date.UTC(2026, 11, 5, 15, 0), '2026-12-05T15:30:00.000Z'],
  ['Asia/Shanghai', '23:00', Date.UTC(2026, 11, 5, 15, 0), '2026-12-06T15:00:00.000Z'], // this minute has come: tomorrow's
  ['Asia/Shanghai', '00:15', Date.UTC(2026, 11, 5, 15, 0), '2026-12-05T16:15:00.000Z'],
  // 23:45 CET the night before the spring change: the next 23:30 is CEST, 23 h 45 min away.
  ['Europe/Berlin', '23:30', Date.UTC(2026, 2, 28, 22, 45), '2026-03-29T21:30:00.000Z'],
  // 02:30 does not exist on 29 March: taken after the gap, 03:30 CEST.
  ['Europe/Berlin', '02:30', Date.UTC(2026, 2, 28, 12, 0), '2026-03-29T01:30:00.000Z'],
  // 02:30 happens twice on 25 October: the first (CEST) ...
  ['Europe/Berlin', '02:30', Date.UTC(2026, 9, 24, 12, 0), '2026-10-25T00:30:00.000Z'],
  // ... and once it has passed, the next is the day after's, not its repeat.
  ['Europe/Berlin', '02:30', Date.UTC(2026, 9, 25, 0, 45), '2026-10-26T01:30:00.000Z'],
  // 23:45 EST on 7 March: the next 23:30 is EDT.
  ['America/New_York', '23:30', Date.UTC(2026, 2, 8, 4, 45), '2026-03-09T03:30:00.000Z'],
];

const INPUT: ProbeInput = {
  times: TIMES.map(([zone, at]) => ({ zone, at })),
  next: NEXT.map(([zone, hhmm, now]) => ({ zone, hhmm, now })),
};

function check(t: import('ava').ExecutionContext, out: ProbeOutput): void {
  t.deepEqual(out.times, TIMES.map(([, , wall]) => wall));
  t.deepEqual(out.next, NEXT.map(([, , , next]) => next));
}

test('instants on the campus clock in Beijing, and across the DST changes of Berlin and New York', (t) => {
  check(t, probe(INPUT));
});

test('every field of a campus time: the business day, the digits card commands carry, the receipt text', (t) => {
  t.deepEqual(campusTime(new Date(Date.UTC(2026, 11, 5, 16, 0, 1)), 'Asia/Shanghai'), {
    year: 2026, month: 12, day: 6, hour: 0, minute: 0, second: 1,
    date: '2026-12-06', dateDigits: '20261206', timeDigits: '000001', dateTime: '2026-12-06 00:00:01',
  });
});

for (const machineZone of ['UTC', 'America/Los_Angeles']) {
  test(`the same on a machine set to ${machineZone}: the machine's zone does not leak`, async (t) => {
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE, JSON.stringify(INPUT)], {
      env: { ...process.env, TZ: machineZone },
    });
    const out = JSON.parse(stdout) as ProbeOutput;
    t.is(out.machineZone, machineZone);
    check(t, out);
  });
}

test('zone names are checked with Intl; calendar dates carry over like Date', (t) => {
  t.true(isTimeZone('Asia/Shanghai'));
  t.true(isTimeZone('Europe/Berlin'));
  t.false(isTimeZone('Mars/Olympus'));
  t.false(isTimeZone('Beijing'));
  t.is(calendarDate(2026, 12, 32), '2027-01-01');
  t.is(calendarDate(2038, 2, 29), '2038-03-01');
});
