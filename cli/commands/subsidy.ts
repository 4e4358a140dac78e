/**
 * `quancun subsidy …`: 补助 for the gateway's operator (gateway/subsidies/, docs/subsidies.md). Each command works on
 * the gateway's store in its data folder, which LevelDB lets one process hold: run them while the gateway is stopped
 * (its next start arms the expiry timer for what they imported, and expires what fell due meanwhile). While it runs, the
 * console's 补助 section (gateway/console/sections/subsidies.ts) does the same through the gateway itself.
 */
import { readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { formatYuan } from '../../common/money.ts';
import type { Logger } from '../../common/log.ts';
import type { Gateway } from '../../gateway/gateway.ts';
import type { LineProblem } from '../../gateway/subsidies/subsidy-lines.ts';
import type { SubsidyBatch } from '../../gateway/subsidies/subsidy-service.ts';
import type { Command } from '../command.ts';
import { cliLogger, configOption, readConfig, verboseOption } from '../defaults.ts';

const common = {
  'data-dir': { type: 'string', description: "the gateway's data folder (default: the config's data dir)" },
  json: { type: 'boolean', description: 'print JSON on the last line', default: false },
  config: configOption,
  verbose: verboseOption,
} as const;

const ERROR_NOTHING = 'nothing was imported; fix these lines and import the file again';
const STOPPED = "Runs on the gateway's store, so the gateway must be stopped: LevelDB admits one process. While it runs, use the console's 补助 section (docs/console.md).";

/** The gateway's store opened here, its accounts seeded from the config as its start does; closed after `fn`. */
async function onStoppedGateway<T>(v: Record<string, unknown>, fn: (gateway: Gateway, loaded: LoadedConfig) => Promise<T>): Promise<T> {
  const loaded = readConfig(v);
  const log: Logger = cliLogger(Boolean(v.verbose));
  const dataDir = v['data-dir'] ? String(v['data-dir']) : loaded.dataDir;
  const { Gateway } = await import('../../gateway/gateway.ts');
  const { cardholderAccounts } = await import('../../gateway/ledger/campus-ledger.ts');
  // Only the store, the ledger and the subsidies are used: no broker, bank or timer is started.
  const gateway = new Gateway({ loaded, mqttUrl: 'mqtt://127.0.0.1:1', log, version: 'subsidy', dataDir });
  try {
    await gateway.store.open();
  } catch (err) {
    const e = QuancunError.from(err);
    if (e.code !== 'JOURNAL_UNAVAILABLE') throw e;
    throw new QuancunError('JOURNAL_UNAVAILABLE', `the gateway's store in ${dataDir} is held by another process (a running gateway?): stop it and run this again`, {}, { cause: err });
  }
  try {
    await gateway.ledger.seed(cardholderAccounts(loaded.config));
    return await fn(gateway, loaded);
  } finally {
    await gateway.store.close();
  }
}

function printBatch(batch: SubsidyBatch, json: unknown): number {
  const total = batch.lines.reduce((sum, l) => sum + l.amount, 0);
  console.log(`batch ${batch.batchId}: ${batch.lines.length} subsidies, ${formatYuan(total)} yuan, owed to the cards until their expiry`);
  for (const l of batch.lines) console.log(`  ${l.creditId}  ${l.campusAccount}  ${formatYuan(l.amount).padStart(10)}  ${l.reason} ${l.period}  until ${l.expires}`);
  if (json) console.log(JSON.stringify({ batchId: batch.batchId, lines: batch.lines.length, amount: total, credits: batch.lines.map((l) => l.creditId) }));
  return 0;
}

export const subsidyImport: Command = {
  name: 'subsidy import',
  summary: 'import a CSV batch of subsidies (补助): every line checked, all imported or none',
  details: [
    'quancun subsidy import <file.csv>',
    '',
    'The file has a header line and the columns account,amount,reason,period,expires (any order): the campus account,',
    'the amount in yuan with at most two decimals (150 or 150.00), the reason (up to 32 characters), the period',
    '(yyyy-mm) and the last campus day it can be collected (yyyy-mm-dd, not before today). RFC 4180 quoting; UTF-8.',
    'A batch with any bad line imports nothing and names each bad line with its code; the same batch imported twice',
    `is refused (SUBSIDY_BATCH_DUPLICATE). ${STOPPED}`,
  ].join('\n'),
  options: common,
  async run(v, positionals) {
    if (positionals.length !== 1) throw new QuancunError('CONFIG_INVALID', 'give exactly one CSV file');
    const file = resolve(positionals[0]!);
    const text = readFileSync(file, 'utf8');
    return onStoppedGateway(v, async (gateway) => {
      try {
        return printBatch(await gateway.subsidies.import(text, basename(file)), v.json);
      } catch (err) {
        const e = QuancunError.from(err);
        if (e.code !== 'SUBSIDY_BATCH_INVALID') throw e;
        // One line per problem: what an operator fixes in the file, line by line.
        console.error(`quancun subsidy import: ${e.code}: ${ERROR_NOTHING}`);
        for (const p of e.details.problems as LineProblem[]) console.error(`  ${p.code}: ${p.message}`);
        return 1;
      }
    });
  },
};

export const subsidyIssue: Command = {
  name: 'subsidy issue',
  summary: 'issue one subsidy (补助) to a campus account, checked as a batch line is',
  details: `Every option is required; they are the columns of a batch line (quancun subsidy import --help). ${STOPPED}`,
  options: {
    account: { type: 'string', description: 'campus account' },
    amount: { type: 'string', description: 'yuan, at most two decimals (150.00)' },
    reason: { type: 'string', description: 'what it is for, up to 32 characters (伙食补助)' },
    period: { type: 'string', description: 'the period it is for, yyyy-mm' },
    expires: { type: 'string', description: 'the last campus day it can be collected, yyyy-mm-dd' },
    ...common,
  },
  async run(v) {
    const field = (name: 'account' | 'amount' | 'reason' | 'period' | 'expires') => {
      if (typeof v[name] !== 'string') throw new QuancunError('SUBSIDY_LINE_INVALID', `--${name} is required`);
      return v[name];
    };
    const fields = { account: field('account'), amount: field('amount'), reason: field('reason'), period: field('period'), expires: field('expires') };
    return onStoppedGateway(v, async (gateway) => printBatch(await gateway.subsidies.issue(fields), v.json));
  },
};

export const subsidyReport: Command = {
  name: 'subsidy report',
  summary: 'subsidies issued, collected, outstanding and expired, per batch and in total; exit 1 when they do not balance',
  details: [
    'Each line is counted by its ledger posting (final: collected, pending: outstanding, expired: back to the campus)',
    'and its journaled state must agree; held (part of outstanding) waits past its expiry for the card or an operator.',
    'Subsidies that expired while the gateway was stopped are counted as outstanding until its next start expires them.',
    STOPPED,
  ].join('\n'),
  options: common,
  async run(v) {
    return onStoppedGateway(v, async (gateway) => {
      const { formatSubsidyReport } = await import('../../gateway/subsidies/subsidy-report.ts');
      const report = await gateway.subsidies.report();
      console.log(formatSubsidyReport(report));
      if (v.json) console.log(JSON.stringify(report));
      return report.total.balanced ? 0 : 1;
    });
  },
};

export const subsidyCommands = [subsidyImport, subsidyIssue, subsidyReport];
