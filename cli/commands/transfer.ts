/**
 * `quancun transfer …`: the standing orders of the batch transfer mode (后台批量转账) and a run on demand, on a stopped
 * gateway's store (gateway/stopped-gateway.ts). docs/batch-transfer.md says what a run does.
 */
import type { LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { formatYuan, parseYuan } from '../../common/money.ts';
import type { OrderRule } from '../../gateway/transfers/standing-orders.ts';
import type { TransferService } from '../../gateway/transfers/transfer-service.ts';
import type { Command, CommandOption } from '../command.ts';
import { cliLogger, readConfig, verboseOption, withConfigOption } from '../defaults.ts';

const STOPPED = "Works on the gateway's store while the gateway is stopped (the store admits one process): a running gateway refuses it with JOURNAL_UNAVAILABLE.";
const common: Record<string, CommandOption> = {
  'data-dir': { type: 'string', description: "the gateway's data folder (default: the config's data dir)" },
  json: { type: 'boolean', description: 'print JSON instead of text', default: false },
  verbose: verboseOption,
};

async function withTransfers<T>(v: Record<string, string | boolean | undefined>, use: (t: TransferService, loaded: LoadedConfig) => Promise<T>): Promise<T> {
  const loaded = readConfig(v);
  const { withStoppedGateway } = await import('../../gateway/stopped-gateway.ts');
  return withStoppedGateway({ loaded, log: cliLogger(Boolean(v.verbose)), version: 'transfer', ...(v['data-dir'] ? { dataDir: String(v['data-dir']) } : {}) },
    (gateway) => use(gateway.transfers, loaded));
}

function ruleOf(v: Record<string, string | boolean | undefined>): OrderRule {
  const day = typeof v.day === 'string' ? v.day : undefined;
  const below = typeof v.below === 'string' ? v.below : undefined;
  if ((day === undefined) === (below === undefined)) throw new QuancunError('TRANSFER_ORDER_INVALID', 'give either --day <1..31> or --below <yuan>');
  if (day !== undefined) {
    if (!/^\d{1,2}$/.test(day)) throw new QuancunError('TRANSFER_ORDER_INVALID', `--day ${day} is not a day of the month (1..31)`);
    return { kind: 'monthly', day: Number(day) };
  }
  return { kind: 'below', threshold: parseYuan(below!) };
}

function accountOf(v: Record<string, string | boolean | undefined>): string {
  if (typeof v.account !== 'string' || !v.account) throw new QuancunError('TRANSFER_ORDER_INVALID', '--account <campus account> is required');
  return v.account;
}

const print = (v: Record<string, unknown>, json: unknown, text: string) => console.log(v.json ? JSON.stringify(json) : text);
const ruleText = (rule: OrderRule) => (rule.kind === 'monthly' ? `on day ${rule.day} of each month` : `when the card is below ${formatYuan(rule.threshold)} yuan`);

export const transferCommands: Command[] = [
  withConfigOption({
    name: 'transfer order add',
    summary: 'add a standing order: quancun transfer order add --account <id> --amount <yuan> (--day <1..31> | --below <yuan>)',
    details: [
      'One order per campus account, whose card must be bound to a configured bank. --day: that amount on that day of',
      "each campus month (a day the month lacks is its last day). --below: that amount at a run when the card's balance",
      'the gateway last saw (in a load at a kiosk), plus what it is still owed, is below this many yuan.',
      STOPPED,
    ].join('\n'),
    options: {
      account: { type: 'string', description: 'campus account' },
      amount: { type: 'string', description: 'yuan per transfer, e.g. 100.00' },
      day: { type: 'string', description: 'day of the month, 1..31' },
      below: { type: 'string', description: 'yuan: transfer when the card balance is below this' },
      ...common,
    },
    async run(v) {
      const input = { campusAccount: accountOf(v), amount: parseYuan(String(v.amount ?? '')), rule: ruleOf(v) };
      const order = await withTransfers(v, (t) => t.orders.add(input));
      print(v, order, `standing order added: ${order.campusAccount}, ${formatYuan(order.amount)} yuan ${ruleText(order.rule)}`);
      return 0;
    },
  }),
  withConfigOption({
    name: 'transfer order list',
    summary: 'list the standing orders',
    details: STOPPED,
    options: common,
    async run(v) {
      const orders = await withTransfers(v, (t) => t.orders.list());
      print(v, orders, orders.length ? orders.map((o) => `${o.campusAccount}\t${formatYuan(o.amount)}\t${ruleText(o.rule)}`).join('\n') : 'no standing orders');
      return 0;
    },
  }),
  withConfigOption({
    name: 'transfer order remove',
    summary: "remove a campus account's standing order: quancun transfer order remove --account <id>",
    details: `A transfer already journaled for it goes on to its end. ${STOPPED}`,
    options: { account: { type: 'string', description: 'campus account' }, ...common },
    async run(v) {
      const campusAccount = accountOf(v);
      const order = await withTransfers(v, (t) => t.orders.remove(campusAccount));
      print(v, order, `standing order of ${order.campusAccount} removed`);
      return 0;
    },
  }),
  withConfigOption({
    name: 'transfer run',
    summary: 'send the standing orders due today (campus calendar) to their banks, now',
    details: [
      'First finishes a run a stop interrupted (its unsent transfers are sent; one that may have been sent is reversed,',
      'never sent again), then journals a new run of the orders due and sends them, transfers.perSecond a second per bank.',
      'Approved transfers become credits the card is owed, written at its next tap at any kiosk. Prints each run',
      "summary (with --json one JSON line per run). Exit status 0 when every transfer ended approved or declined, 1 when",
      'some were not sent or are being reversed.',
      STOPPED,
    ].join('\n'),
    options: common,
    async run(v) {
      const summaries = await withTransfers(v, async (t) => {
        await t.start();
        return t.run('quancun transfer run');
      });
      for (const s of summaries) {
        print(v, s, `run ${s.runId} (${s.date}): ${s.planned} planned, ${s.approved.count} approved (${formatYuan(s.approved.amount)} yuan), ` +
          `${s.declined} declined, ${s.notSent} not sent, ${s.reversing} being reversed, ${s.reversed} reversed`);
      }
      return summaries.every((s) => s.notSent === 0 && s.reversing === 0) ? 0 : 1;
    },
  }),
];
