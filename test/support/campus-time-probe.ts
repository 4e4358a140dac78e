/**
 * Reads the campus clock in a process of its own, so a test can set that process's TZ (the machine's zone) before
 * anything reads a clock: `node --import tsx campus-time-probe.ts '<json>'` with the instants to convert, prints the
 * machine's zone and what common/campus-time.ts made of each.
 */
import { campusTime, nextTimeOfDay } from '../../common/campus-time.ts';

export interface ProbeInput {
  times: Array<{ zone: string; at: number }>;
  next: Array<{ zone: string; hhmm: string; now: number }>;
}

export interface ProbeOutput {
  machineZone: string;
  times: string[];
  next: string[];
}

export function probe(input: ProbeInput): ProbeOutput {
  return {
    machineZone: Intl.DateTimeFormat().resolvedOptions().timeZone,
    times: input.times.map(({ zone, at }) => campusTime(new Date(at), zone).dateTime),
    next: input.next.map(({ zone, hhmm, now }) => nextTimeOfDay(hhmm, new Date(now), zone).toISOString()),
  };
}

if (process.argv[2]) console.log(JSON.stringify(probe(JSON.parse(process.argv[2]) as ProbeInput)));
