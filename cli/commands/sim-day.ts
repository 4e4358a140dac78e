import { campusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { BusinessDayResult } from '../../sim/bank/business-day.ts';
import type { Command } from '../command.ts';
import { configOption, readConfig, cliLogger, verboseOption } from '../defaults.ts';

export const simDay: Command = {
  name: 'sim day',
  summary: "run a simulated business day on the embedded default and have the bank simulator write that day's file",
  details: [
    'Starts the embedded default with every configured kiosk, runs loads across them (some refused or declined),',
    "settles the batch with the bank (0500, and the batch upload when the bank finds it unbalanced), stops, and has",
    "the bank simulator write the day's reconciliation file from its own log into",
    '<data>/bank-files/<bank>/, where `quancun reconcile` looks. With --inject-differences the day also carries one',
    'difference of every class (see docs/bank-integration.md). The day runs on the clock, so --date is today on the',
    "campus's calendar (campus.timeZone).",
    "A cardholder who walks away during a torn credit is given 1 s to come back (limits.rePresentSeconds).",
  ].join('\n'),
  options: {
    bank: { type: 'string', description: 'bank id (the embedded default simulates its first bank)' },
    date: { type: 'string', description: "business day, yyyy-mm-dd (today on the campus's calendar)" },
    'inject-differences': { type: 'boolean', description: 'inject one difference of every class', default: false },
    'data-dir': { type: 'string', description: "journals and files go here (default: the config's data dir)" },
    json: { type: 'boolean', description: 'print the result as JSON on the last line', default: false },
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = cliLogger(Boolean(v.verbose));
    const today = campusTime(new Date(), loaded.config.campus.timeZone).date;
    const date = String(v.date ?? today);
    if (date !== today) throw new QuancunError('CONFIG_INVALID', `--date: a simulated day runs on the clock, so it is today (${today}), not ${date}`);
    const bank = loaded.config.banks[0]!;
    if (v.bank !== undefined && v.bank !== bank.id) throw new QuancunError('CONFIG_INVALID', `--bank: the embedded default simulates bank "${bank.id}", not "${String(v.bank)}"`);
    const inject = Boolean(v['inject-differences']);
    const dataDir = v['data-dir'] ? String(v['data-dir']) : loaded.dataDir;
    // Loaded here, not at the top: `quancun --help` must not start up the whole system's modules.
    const { startEmbeddedSystem } = await import('../../sim/embedded-system.ts');
    const { dayPlan, injectFileDifferences, runBusinessDay } = await import('../../sim/bank/business-day.ts');
    const { bankFileDir } = await import('../../gateway/reconcile/run-reconcile.ts');

    const config = structuredClone(loaded.config);
    config.limits.rePresentSeconds = 1;
    const plan = dayPlan(config, inject);
    const system = await startEmbeddedSystem({ loaded: { ...loaded, config }, log, dataDir });
    let loads;
    let settled;
    try {
      loads = await runBusinessDay(system, config, plan);
      // End of day: the batch is settled before the bank writes its file.
      settled = await system.gateway.settlement.settle(bank.id);
    } finally {
      await system.stop();
    }

    const campusAccounts = new Map(config.cardholders.filter((c) => c.bankPan).map((c) => [c.bankPan!, c.campusAccount]));
    let records = system.bank.dayRecords(date).map((r) => ({ ...r, campusAccount: campusAccounts.get(r.pan) ?? '' }));
    const injected: BusinessDayResult['injected'] = plan.flatMap((p, i) => (p.inject ? [{ class: p.inject, txnId: loads[i]!.txnId }] : []));
    if (inject) {
      const plain = new Set(loads.filter((l, i) => !plan[i]!.inject && l.state === 'completed').map((l) => l.txnId!));
      const file = injectFileDifferences(records, plain);
      records = file.records;
      injected.push(...file.injected);
    }
    const file = system.bank.writeDayFile(bankFileDir(dataDir, bank.id), date, bank.terminalId, records);
    const settlement = { batch: settled.batch, state: settled.state, totals: settled.totals };
    const result = { date, bank: bank.id, file, loads, settlement, injected };
    if (v.json) {
      console.log(JSON.stringify(result));
    } else {
      console.log(`business day ${date}, bank ${bank.id}: ${loads.length} loads, ${records.length} lines in ${file}`);
      console.log(`settlement: batch ${settlement.batch} ${settlement.state}, ${settlement.totals.debitCount} debits of ${settlement.totals.debitAmount} fen`);
      for (const l of loads) console.log(`  ${l.kioskId}  ${(l.txnId ?? '(none)').padEnd(14)} ${l.state}${l.code ? ` (${l.code})` : ''}`);
      for (const d of injected) console.log(`  injected ${d.class}${d.txnId ? ` ${d.txnId}` : ''}${'stan' in d && d.stan ? ` STAN ${d.stan}` : ''}`);
    }
    return 0;
  },
};
