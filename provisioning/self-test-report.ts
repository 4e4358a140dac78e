/**
 * The self-test's report: one object (the `self-test` event of common/api/topics.ts), kept in the kiosk's data dir as
 * JSON and as text for a person, and published by the kiosk's new identity. A broker out of reach loses nothing: the
 * files are written first, and the caller is told the report was not published.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MqttClient } from 'mqtt';
import { connectOnce } from '../common/mqtt/connect.ts';
import { parseEvent, topics, type EventPayload } from '../common/api/topics.ts';
import { QuancunError } from '../common/errors.ts';
import type { CheckResult } from './self-test.ts';

export type SelfTestReport = EventPayload<'self-test'>;

export function selfTestReport(boardSerial: string, checks: CheckResult[], at = new Date()): SelfTestReport {
  return parseEvent('self-test', { boardSerial, at: at.toISOString(), passed: checks.every((c) => c.status !== 'fail'), checks });
}

export function reportText(kioskId: string, report: SelfTestReport): string {
  const mark = { pass: 'PASS', fail: 'FAIL', skipped: 'SKIP' } as const;
  return [
    `quancun self-test of kiosk ${kioskId}, board ${report.boardSerial}, ${report.at}`,
    ...report.checks.map((c) => `  ${mark[c.status]}  ${c.check.padEnd(12)} ${c.code ? `${c.code}: ` : ''}${c.message}`),
    report.passed ? 'All checks passed or were skipped.' : `${report.checks.filter((c) => c.status === 'fail').length} check(s) failed.`,
  ].join('\n');
}

/** Writes self-test.json and self-test.txt in `dataDir`; returns their paths. */
export async function keepReport(dataDir: string, kioskId: string, report: SelfTestReport): Promise<{ json: string; text: string }> {
  await mkdir(dataDir, { recursive: true });
  const paths = { json: join(dataDir, 'self-test.json'), text: join(dataDir, 'self-test.txt') };
  await writeFile(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  await writeFile(paths.text, `${reportText(kioskId, report)}\n`);
  return paths;
}

export interface KioskIdentity {
  url: string;
  kioskId: string;
  /** PEM contents. */
  tls: { ca: string; cert: string; key: string };
  timeoutMs?: number;
}

/** Publishes the report on the kiosk's `self-test` event topic with its own certificate; LINK_OFFLINE when it cannot. */
export async function publishReport(identity: KioskIdentity, report: SelfTestReport): Promise<void> {
  let client: MqttClient;
  try {
    // The kiosk's own identity (the kiosk runtime is not running yet): on Mosquitto its certificate's CN.
    client = await connectOnce({ url: identity.url, identity: identity.kioskId, tls: identity.tls, connectTimeoutMs: identity.timeoutMs ?? 10_000 });
  } catch (err) {
    throw new QuancunError('LINK_OFFLINE', `the self-test report was not published: ${(err as Error).message}`, {}, { cause: err });
  }
  try {
    await client.publishAsync(topics.event(identity.kioskId, 'self-test'), JSON.stringify(report), { qos: 1 });
  } finally {
    await client.endAsync();
  }
}
