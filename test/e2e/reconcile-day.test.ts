/**
 * `quancun sim day` then `quancun reconcile`, as an operator runs them, each a child process on the embedded
 * default with its own data folder: a day with one injected difference of every class, each found and classified,
 * the automatic ones resolved, and a second run that changes nothing (gateway journal and ledger, and the bank's
 * state, byte for byte). A day without injections settles balanced and reconciles clean. The ascii-x919 profile's
 * file layout goes through the same day.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import { loadConfig } from '../../common/config.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { tempDir } from '../support/temp-dir.ts';
import { lastJson, quancun, quancunWithEnv } from '../support/cli.ts';
import { EMBEDDED_CONFIG as EMBEDDED } from '../support/kiosk-system.ts';

/** The business day on the campus's calendar (Asia/Shanghai in the embedded default), not the machine's. */
const TODAY = campusTime(new Date(), loadConfig(EMBEDDED).config.campus.timeZone).date;

/** The gateway's journal and ledger but the runs it keeps (each run adds its own), and the bank's state. */
async function dump(dataDir: string): Promise<{ gateway: unknown; runs: Array<{ id: string; state: string; by: string }>; bank: string }> {
  const store = new LevelStore(join(dataDir, 'gateway'));
  await store.open();
  try {
    const all = await store.list<{ id: string; state: string; by: string }>('');
    return {
      gateway: all.filter((e) => !e.key.startsWith('recon-run/')),
      runs: all.filter((e) => e.key.startsWith('recon-run/')).map(({ value: { id, state, by } }) => ({ id, state, by })),
      bank: readFileSync(join(dataDir, 'sim', 'bank.json'), 'utf8'),
    };
  } finally {
    await store.close();
  }
}

interface Diff { class: string; status: string; stan: number; txnId: string | null; action: string; gatewayState: string | null }

test('a day with a difference of every class: each found and classified, the automatic ones resolved, a second run idempotent', async (t) => {
  const dataDir = await tempDir(t, 'quancun-day-');
  const day = await quancun('sim', 'day', '--bank', 'unionpay', '--date', TODAY, '--inject-differences', '--data-dir', dataDir, '--json');
  t.is(day.code, 0, day.stderr);
  const { injected, settlement } = lastJson(day.stdout) as { injected: Array<{ class: string; stan?: number; txnId?: string | null }>; settlement: unknown };
  // The bank still counts the debit whose reversal it never confirmed; the gateway does not: not balanced, uploaded.
  t.like(settlement, { batch: 1, state: 'uploaded', totals: { debitCount: 7, debitAmount: 19_100 } });
  t.deepEqual(injected.map((i) => i.class).sort(), [
    'amount-mismatch', 'bank-only', 'campus-only', 'card-credited-without-final-posting', 'pending-load', 'reversal-unconfirmed',
  ]);

  const first = await quancun('reconcile', '--bank', 'unionpay', '--date', TODAY, '--data-dir', dataDir, '--json');
  t.is(first.code, 1, first.stderr); // differences are left open for an operator
  const report: { differences: Diff[]; resolved: number; open: number } = lastJson(first.stdout);
  t.is(report.differences.length, 6);
  for (const i of injected) {
    const found = report.differences.find((d) => d.class === i.class);
    t.truthy(found, i.class);
    if (i.stan !== undefined) t.is(found!.stan, i.stan, i.class);
    if (i.txnId) t.is(found!.txnId, i.txnId, i.class);
  }
  const status = Object.fromEntries(report.differences.map((d) => [d.class, d.status]));
  t.deepEqual(status, {
    'bank-only': 'open', 'campus-only': 'open', 'amount-mismatch': 'open',
    'pending-load': 'resolved', 'reversal-unconfirmed': 'resolved', 'card-credited-without-final-posting': 'resolved',
  });
  t.like(report, { resolved: 3, open: 3 });
  t.regex(first.stdout, /differences 6: 3 resolved, 3 open/);
  const csv = readFileSync(join(dataDir, 'reconcile', `unionpay-${TODAY}.csv`), 'utf8').split('\r\n');
  t.is(csv[0], 'class,status,stan,txnId,campusAmount,bankAmount,bankRef,gatewayState,kioskState,posting,action');
  t.is(csv.length, 8); // header, six differences, the empty string after the last CRLF
  t.like(JSON.parse(readFileSync(join(dataDir, 'reconcile', `unionpay-${TODAY}.json`), 'utf8')), { bankId: 'unionpay', date: TODAY, resolved: 3, open: 3 });

  // What the automatic resolutions did, as the journal now says.
  const after = await dump(dataDir);
  const second = await quancun('reconcile', '--bank', 'unionpay', '--date', TODAY, '--data-dir', dataDir, '--json');
  t.is(second.code, 1, second.stderr);
  const again: { differences: Diff[]; resolved: number; open: number } = lastJson(second.stdout);
  const key = (d: Diff) => [d.class, d.status, d.stan, d.txnId, d.action];
  t.deepEqual(again.differences.map(key), report.differences.map(key));
  t.like(again, { resolved: 3, open: 3 });
  const twice = await dump(dataDir);
  t.deepEqual(twice.gateway, after.gateway);
  t.is(twice.bank, after.bank);
  t.deepEqual(twice.runs, [
    { id: `unionpay.${TODAY}.001`, state: 'finished', by: 'quancun reconcile' },
    { id: `unionpay.${TODAY}.002`, state: 'finished', by: 'quancun reconcile' },
  ]);
  const states = Object.fromEntries(again.differences.map((d) => [d.class, d.gatewayState]));
  t.like(states, { 'reversal-unconfirmed': 'reversed', 'card-credited-without-final-posting': 'completed', 'pending-load': 'pending-load' });
});

test('a day without injected differences reconciles clean; both commands default to the campus\'s day on a machine 20 hours behind it', async (t) => {
  const dataDir = await tempDir(t, 'quancun-day-');
  // UTC-12: its date differs from Beijing's 20 hours a day, so a default taken from the machine's zone would show.
  const machine = { TZ: 'Etc/GMT+12' };
  const day = await quancunWithEnv(machine, 'sim', 'day', '--bank', 'unionpay', '--data-dir', dataDir, '--json');
  t.is(day.code, 0, day.stderr);
  t.like(lastJson(day.stdout), { date: TODAY, settlement: { batch: 1, state: 'balanced', totals: { debitCount: 5, debitAmount: 17_300 } } });
  const run = await quancunWithEnv(machine, 'reconcile', '--bank', 'unionpay', '--data-dir', dataDir, '--json');
  t.is(run.code, 0, run.stderr);
  t.deepEqual(lastJson(run.stdout), { differences: [], resolved: 0, open: 0 });
  t.true(run.stdout.includes(`reconciliation unionpay ${TODAY}: 5 bank lines, 7 campus loads`), run.stdout);
});

test('the same day on the ascii-x919 profile: its own file name and layout, the same differences found', async (t) => {
  const dataDir = await tempDir(t, 'quancun-day-');
  const config = JSON.parse(readFileSync(EMBEDDED, 'utf8'));
  config.banks[0].profile = 'ascii-x919';
  const configPath = join(dataDir, 'config.json');
  writeFileSync(configPath, JSON.stringify(config));
  const day = await quancun('sim', 'day', '--config', configPath, '--inject-differences', '--data-dir', dataDir, '--json');
  t.is(day.code, 0, day.stderr);
  const { file } = lastJson(day.stdout) as { file: string };
  t.is(file, join(dataDir, 'bank-files', 'unionpay', `JZ${TODAY.replace(/-/g, '')}.DAT`));
  const lines = readFileSync(file, 'latin1').split('\n');
  t.true(lines.slice(0, -1).every((l) => l.length === 91 && /^\d{14}QC000001/.test(l)), lines[0]);

  const run = await quancun('reconcile', '--config', configPath, '--bank', 'unionpay', '--date', TODAY, '--data-dir', dataDir, '--json');
  const report: { differences: Diff[]; resolved: number; open: number } = lastJson(run.stdout);
  t.deepEqual(report.differences.map((d) => `${d.class} ${d.status}`).sort(), [
    'amount-mismatch open', 'bank-only open', 'campus-only open',
    'card-credited-without-final-posting resolved', 'pending-load resolved', 'reversal-unconfirmed resolved',
  ]);
});

test('no file from the bank for that day: RECON_FILE_MISSING naming where it was looked for, exit status 1', async (t) => {
  const dataDir = await tempDir(t, 'quancun-day-');
  const run = await quancun('reconcile', '--bank', 'unionpay', '--date', '2026-01-05', '--data-dir', dataDir);
  t.is(run.code, 1);
  t.is(run.stderr.trim().split('\n').at(-1), `quancun reconcile: RECON_FILE_MISSING: no reconciliation file from bank unionpay for 2026-01-05 at ${join(dataDir, 'bank-files', 'unionpay', 'QC000001_20260105.txt')}`);
});
