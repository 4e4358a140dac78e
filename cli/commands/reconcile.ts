import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { ReconcileRun } from '../../gateway/reconcile/reconcile-service.ts';
import type { ReconcileSummary } from '../../gateway/reconcile/report.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig, cliLogger, verboseOption } from '../defaults.ts';

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: "reconcile a bank's business day: the bank's file against the gateway journal, the campus ledger and the kiosk journals",
  details: [
    'Matches both ways by STAN, classifies every difference (bank-only, campus-only, amount-mismatch, pending-load,',
    'reversal-unconfirmed, card-credited-without-final-posting), applies the safe automatic resolutions and lists',
    'the rest. Reports go to <data>/reconcile/<bank>-<date>.json and .csv. Running it again for the same day changes',
    'nothing. With --json the last line is {differences, resolved, open}. Exit status 0 when nothing is left open,',
    '1 otherwise.',
    '',
    "When a gateway runs on the data folder (its store is locked), the run is made by that gateway, through its",
    "operator console's API (docs/console.md), signed in as --user (or QUANCUN_CONSOLE_USER) with the password from",
    'QUANCUN_CONSOLE_PASSWORD or a hidden prompt; the user needs the operator role, and the run is audited. The',
    "console is --console, else the config's console section, else http://127.0.0.1:8088 (what `quancun run`",
    "serves). --file must then be in the gateway's <data>/bank-files/<bank>/, and --out receives the reports",
    "downloaded from it. Only when no gateway runs is the store opened here.",
  ].join('\n'),
  options: {
    bank: { type: 'string', description: 'bank id' },
    date: { type: 'string', description: "business day, yyyy-mm-dd (today on the campus's calendar, campus.timeZone)" },
    file: { type: 'string', description: "the bank's file (default: <data>/bank-files/<bank>/<name from the profile>)" },
    'data-dir': { type: 'string', description: "gateway and kiosk journals (default: the config's data dir)" },
    out: { type: 'string', description: 'folder for the JSON and CSV reports (default: <data>/reconcile)' },
    console: { type: 'string', description: "a running gateway's console URL (default: the config's console section, else http://127.0.0.1:8088)" },
    user: { type: 'string', description: 'console user for a running gateway (default: QUANCUN_CONSOLE_USER)' },
    json: { type: 'boolean', description: 'print {differences, resolved, open} as JSON on the last line', default: false },
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = cliLogger(Boolean(v.verbose));
    if (typeof v.bank !== 'string') throw new QuancunError('CONFIG_INVALID', '--bank is required');
    const date = typeof v.date === 'string' ? v.date : campusTime(new Date(), loaded.config.campus.timeZone).date;
    const bank = loaded.config.banks.find((b) => b.id === v.bank);
    const dataDir = v['data-dir'] ? String(v['data-dir']) : loaded.dataDir;
    const { runReconcile, gatewayRuns } = await import('../../gateway/reconcile/run-reconcile.ts');
    const { formatText, jsonLine } = await import('../../gateway/reconcile/report.ts');
    const print = (summary: ReconcileSummary, reports: { json: string; csv: string }) => {
      console.log(formatText(summary));
      console.log(`\nreports: ${reports.json}, ${reports.csv}`);
      if (v.json) console.log(jsonLine(summary));
      return summary.open === 0 ? 0 : 1;
    };
    if (await gatewayRuns(loaded, dataDir, log)) {
      const { summary, reports } = await reconcileRemotely(v, loaded, { bankId: v.bank, date, dataDir });
      return print(summary, reports);
    }

    // The embedded default's bank is the simulator: it comes back from its saved state to answer reversals.
    let sim: { stop(): Promise<void>; address(): { host: string; port: number } } | undefined;
    const statePath = join(dataDir, 'sim', 'bank.json');
    if (bank && bank.port === 0 && existsSync(statePath)) {
      const { BankHostSimulator } = await import('../../sim/bank/bank-host.ts');
      const { bankProfilePath } = await import('../../gateway/banks.ts');
      const { loadBankProfile } = await import('../../gateway/bank/iso8583/profile.ts');
      const started = new BankHostSimulator({ profile: loadBankProfile(bankProfilePath(bank.profile)), tmk: Buffer.from(bank.tmk, 'hex'), statePath, log, timeZone: loaded.config.campus.timeZone });
      await started.start();
      sim = started;
    }
    try {
      const run = await runReconcile({
        loaded, bankId: v.bank, date, log, dataDir,
        ...(v.file ? { file: String(v.file) } : {}), ...(v.out ? { outDir: String(v.out) } : {}),
        ...(sim ? { bankAddress: sim.address() } : {}),
      });
      return print(run.summary!, run.reports!);
    } finally {
      await sim?.stop();
    }
  },
};

/** The console of the gateway that runs on the data folder: --console, the config's console section, or quancun run's. */
async function runningConsole(v: Record<string, unknown>, loaded: LoadedConfig): Promise<string> {
  if (typeof v.console === 'string') return v.console;
  const c = loaded.config.console;
  if (!c) return 'http://127.0.0.1:8088';
  if (c.port === 0) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: console.port is 0 (a free port each start): give the running gateway's console with --console <url>`);
  const host = c.host === '0.0.0.0' ? '127.0.0.1' : c.host === '::' ? '::1' : c.host;
  const { consoleUrl } = await import('../../gateway/console/console-client.ts');
  return consoleUrl(host, c.port, Boolean(c.tls));
}

async function consolePassword(): Promise<string> {
  if (process.env.QUANCUN_CONSOLE_PASSWORD) return process.env.QUANCUN_CONSOLE_PASSWORD;
  if (!process.stdin.isTTY) throw new QuancunError('CONFIG_INVALID', 'the gateway is running: its console password is needed, from QUANCUN_CONSOLE_PASSWORD or typed at a terminal');
  const { default: password } = await import('@inquirer/password');
  try {
    return await password({ message: 'Console password:', mask: '*' }, { output: process.stderr });
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') throw new QuancunError('CONSOLE_BAD_REQUEST', 'no password was entered');
    throw err;
  }
}

/** The run made by the running gateway, through its console's API (the same routes and audit as the page). */
async function reconcileRemotely(
  v: Record<string, string | boolean | undefined>, loaded: LoadedConfig, o: { bankId: string; date: string; dataDir: string },
): Promise<{ summary: ReconcileSummary; reports: { json: string; csv: string } }> {
  const { bankFileDir } = await import('../../gateway/reconcile/run-reconcile.ts');
  const user = typeof v.user === 'string' ? v.user : process.env.QUANCUN_CONSOLE_USER;
  if (!user) throw new QuancunError('CONFIG_INVALID', 'a gateway runs on this data folder: reconcile signs in to its console, so --user (or QUANCUN_CONSOLE_USER) is needed');
  let fileName: string | undefined;
  if (typeof v.file === 'string') {
    const folder = bankFileDir(o.dataDir, o.bankId);
    if (dirname(resolve(v.file)) !== resolve(folder)) throw new QuancunError('CONFIG_INVALID', `a gateway runs on this data folder: it reads bank files from ${folder} only; put ${v.file} there`);
    fileName = resolve(v.file).slice(resolve(folder).length + 1);
  }
  const { ConsoleClient } = await import('../../gateway/console/console-client.ts');
  const client = await ConsoleClient.signIn(await runningConsole(v, loaded), user, await consolePassword());
  const run = await client.post<ReconcileRun>('reconcile/runs', { bankId: o.bankId, date: o.date, ...(fileName ? { file: fileName } : {}) });
  const summary = run.summary!;
  if (typeof v.out !== 'string') return { summary, reports: run.reports! };
  mkdirSync(v.out, { recursive: true });
  const base = join(v.out, `${summary.bankId}-${summary.date}`);
  const reports = { json: `${base}.json`, csv: `${base}.csv` };
  for (const format of ['json', 'csv'] as const) {
    writeFileSync(reports[format], await client.text(`reconcile/runs/${encodeURIComponent(run.id)}/report.${format}`));
  }
  return { summary, reports };
}
