import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig, cliLogger, verboseOption } from '../defaults.ts';

export const reconcileCommand: Command = {
  name: 'reconcile',
  summary: "reconcile a bank's business day: the bank's file against the gateway journal, the campus ledger and the kiosk journals",
  details: [
    'Matches both ways by STAN, classifies every difference (bank-only, campus-only, amount-mismatch, pending-load,',
    'reversal-unconfirmed, card-credited-without-final-posting), applies the safe automatic resolutions and lists',
    'the rest. Reports go to <data>/reconcile/<bank>-<date>.json and .csv. Running it again for the same day changes',
    'nothing. The gateway must be stopped (its journal is opened here). With --json the last line is',
    '{differences, resolved, open}. Exit status 0 when nothing is left open, 1 otherwise.',
  ].join('\n'),
  options: {
    bank: { type: 'string', description: 'bank id' },
    date: { type: 'string', description: "business day, yyyy-mm-dd (today on the campus's calendar, campus.timeZone)" },
    file: { type: 'string', description: "the bank's file (default: <data>/bank-files/<bank>/<name from the profile>)" },
    'data-dir': { type: 'string', description: "gateway and kiosk journals (default: the config's data dir)" },
    out: { type: 'string', description: 'folder for the JSON and CSV reports (default: <data>/reconcile)' },
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
    const { runReconcile } = await import('../../gateway/reconcile/run-reconcile.ts');
    const { formatText, jsonLine } = await import('../../gateway/reconcile/report.ts');

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
      const summary = run.summary!;
      console.log(formatText(summary));
      console.log(`\nreports: ${run.reports!.json}, ${run.reports!.csv}`);
      if (v.json) console.log(jsonLine(summary));
      return summary.open === 0 ? 0 : 1;
    } finally {
      await sim?.stop();
    }
  },
};
