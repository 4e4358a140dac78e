/**
 * The batch transfer mode end to end: standing orders added with `quancun transfer order add`, runs made with
 * `quancun transfer run` against the bank simulator over TCP on loopback, the gateway's LevelDB store on disk read
 * afterwards. A run's approvals become credits the cards are owed and its declines close with the bank's code, and
 * `quancun reconcile` matches the transfers in the bank's file; a run
 * killed (SIGKILL, its own process: transfer-run-child.ts) after its second transfer went out, between journaling a
 * transfer and sending it, or between an approval and its credit, resumes without sending any transfer twice —
 * asserted on what the bank received and applied.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { campusTime } from '../../common/campus-time.ts';
import { loadConfig, type Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { bankFileDir } from '../../gateway/reconcile/run-reconcile.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { gatewayStore } from '../../gateway/store/gateway-store.ts';
import { CAMPUS_CREDIT_MACHINE, type CampusCreditRecord, type CampusCreditState } from '../../gateway/credits/campus-credits.ts';
import { TRANSFER_MACHINE, type RunSummary, type TransferRecord, type TransferState } from '../../gateway/transfers/transfer-machine.ts';
import { BankHostSimulator, type BankExchange } from '../../sim/bank/bank-host.ts';
import { lastJson, quancun } from '../support/cli.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { passStore } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const CHILD = fileURLToPath(new URL('./transfer-run-child.ts', import.meta.url));
// config/embedded.json's 张三 and 李四, and a third cardholder added here; 王五 has no bank binding.
const ZHANG = { account: '2023010001', asn: '31030000002023010001', pan: '6217000010000000018' };
const LI = { account: '2023010002', asn: '31030000002023010002', pan: '6217000010000000026' };
const QIAN = { account: '2023010004', asn: '31030000002023010004', pan: '6217000010000000034' };
const WANG = { account: '2023010003' };

async function campus(t: ExecutionContext, o: { liAgreement: boolean }) {
  const dir = await tempDir(t, 'quancun-transfer-');
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  raw.cardholders.push({ campusAccount: QIAN.account, name: '钱七', staffNo: QIAN.account, asn: QIAN.asn, bankId: 'unionpay', bankPan: QIAN.pan });
  const bank = new BankHostSimulator({
    profile: loadBankProfile(bankProfilePath('unionpay')), tmk: Buffer.from(raw.banks[0]!.tmk, 'hex'),
    accounts: [
      { pan: ZHANG.pan, balance: 500_000, pin: '123456', standingAgreement: true },
      { pan: LI.pan, balance: 3000, pin: '654321', standingAgreement: o.liAgreement },
      { pan: QIAN.pan, balance: 100_000, pin: '111111', standingAgreement: true },
    ],
  });
  await bank.start();
  t.teardown(() => bank.stop());
  raw.dataDir = '.';
  raw.banks[0] = { ...raw.banks[0]!, host: '127.0.0.1', port: bank.address().port };
  raw.transfers = { perSecond: 50 };
  await passStore(raw);
  const config = join(dir, 'config.json');
  writeFileSync(config, JSON.stringify(raw));
  const cli = (...args: string[]) => quancun(...args, '--config', config);
  const order = async (account: string, yuan: string, day = '1') => {
    const added = await cli('transfer', 'order', 'add', '--account', account, '--amount', yuan, '--day', day, '--json');
    t.is(added.code, 0, added.stderr);
  };
  return { dir, bank, config, cli, order, terminalId: raw.banks[0]!.terminalId };
}

/** The gateway's store after the processes ended: transfer records, the credits owed to cards, postings. */
/** The stopped gateway's store, whichever backend this pass gave it (campus() wrote its config in dir). */
async function journal(t: ExecutionContext, dir: string) {
  const store = gatewayStore(loadConfig(join(dir, 'config.json')).config, dir, silentLogger);
  await store.open();
  t.teardown(() => store.close());
  const transfers = new JournaledMachine<TransferState, TransferRecord>(store, 'gw/transfer', TRANSFER_MACHINE);
  const ledger = new CampusLedger(store);
  const credits = await new JournaledMachine<CampusCreditState, CampusCreditRecord>(store, 'gw/credit', CAMPUS_CREDIT_MACHINE).all();
  return { transfers: await transfers.all(), owedTo: (asn: string) => credits.filter((c) => c.asn === asn), ledger };
}

const summaries = (stdout: string) => stdout.trim().split('\n').map((l) => JSON.parse(l) as RunSummary);
const sentTransfers = (bank: BankHostSimulator) => bank.log.filter((e) => e.op === 'standingTransfer');

test("a run's approvals become owed credits and its declines close with the bank's code; the next run sends nothing again", async (t) => {
  const { dir, bank, cli, order, terminalId } = await campus(t, { liAgreement: false });
  await order(ZHANG.account, '100.00');
  await order(LI.account, '10.00');
  const unbound = await cli('transfer', 'order', 'add', '--account', WANG.account, '--amount', '10.00', '--day', '1');
  t.is(unbound.code, 1);
  t.regex(unbound.stderr, /CARD_NOT_BOUND/);
  const twice = await cli('transfer', 'order', 'add', '--account', ZHANG.account, '--amount', '5.00', '--below', '20.00');
  t.regex(twice.stderr, /TRANSFER_ORDER_EXISTS/);

  const run = await cli('transfer', 'run', '--json');
  t.is(run.code, 0, run.stderr);
  const [summary] = summaries(run.stdout);
  t.like(summary, { planned: 2, approved: { count: 1, amount: 10000 }, declined: 1, notSent: 0, reversing: 0, reversed: 0 });
  t.is(bank.balanceOf(ZHANG.pan), 490_000);
  t.is(bank.balanceOf(LI.pan), 3000, 'no agreement: declined, nothing debited');
  t.deepEqual(sentTransfers(bank).map((e) => [e.amount, e.responseCode]), [[10000, '00'], [1000, '57']]);

  const again = await cli('transfer', 'run', '--json');
  t.like(summaries(again.stdout), [{ planned: 0 }], 'both orders had their transfer this month');
  t.is(sentTransfers(bank).length, 2);

  // The bank's file of the day lists the standing transfer: reconciliation matches it, no bank-only line.
  const today = campusTime(new Date(), 'Asia/Shanghai').date;
  bank.writeDayFile(bankFileDir(dir, 'unionpay'), today, terminalId);
  const reconciled = await cli('reconcile', '--bank', 'unionpay', '--date', today, '--json');
  t.is(reconciled.code, 0, reconciled.stdout);
  t.deepEqual(lastJson(reconciled.stdout), { differences: [], resolved: 0, open: 0 });

  const listed = await cli('transfer', 'order', 'list', '--json');
  t.deepEqual((JSON.parse(listed.stdout) as Array<{ campusAccount: string }>).map((o) => o.campusAccount), [ZHANG.account, LI.account]);

  const { transfers, owedTo, ledger } = await journal(t, dir);
  const zhang = transfers.find((r) => r.campusAccount === ZHANG.account)!;
  t.like(zhang, { state: 'credit-owed', amount: 10000, bankRef: '000000000001', rule: 'monthly:1' });
  t.deepEqual(zhang.history.map((h) => h.state), ['planned', 'bank-pending', 'approved', 'credit-owed']);
  t.like(transfers.find((r) => r.campusAccount === LI.account), { state: 'declined', code: 'BANK_DECLINED', responseCode: '57' });
  t.like(owedTo(ZHANG.asn), [{ id: zhang.id, state: 'owed', source: 'transfer', amount: 10000, campusAccount: ZHANG.account }]);
  t.deepEqual(owedTo(LI.asn), []);
  t.like(await ledger.posting(zhang.id), { status: 'pending', amount: 10000 });
  t.false(JSON.stringify(transfers).includes(ZHANG.pan), 'no full card number in the journal');

  // The store admits one process: with it open here, the CLI refuses and says what to do.
  const locked = await cli('transfer', 'order', 'list');
  t.is(locked.code, 1);
  t.regex(locked.stderr, /JOURNAL_UNAVAILABLE.*stop the gateway first/);
});

async function killedRun(t: ExecutionContext, killAt: string, beforeKill?: (bank: BankHostSimulator) => Promise<unknown>) {
  const c = await campus(t, { liAgreement: true });
  await c.order(ZHANG.account, '100.00');
  await c.order(LI.account, '10.00');
  await c.order(QIAN.account, '20.00');
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, c.config, killAt], { stdio: ['ignore', 'ignore', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const exited = once(child, 'exit');
  if (beforeKill) {
    await beforeKill(c.bank);
    child.kill('SIGKILL');
  }
  t.deepEqual((await exited).slice(1), ['SIGKILL'], 'the run was killed');
  const sentBeforeResume = sentTransfers(c.bank).length;
  const resumed = await c.cli('transfer', 'run', '--json');
  t.is(resumed.code, 0, resumed.stderr);
  return { ...c, sentBeforeResume, summaries: summaries(resumed.stdout) };
}

/** Each transfer went to the bank at most once: distinct STANs and campus references. */
function eachSentOnce(t: ExecutionContext, sent: BankExchange[], count: number) {
  t.is(sent.length, count);
  t.is(new Set(sent.map((e) => e.stan)).size, count);
}

test('a run killed after its second transfer went out (the bank applied it, silent) reverses that one on resume and sends the third, each once', async (t) => {
  const { bank, summaries: [resumed, next], sentBeforeResume } = await killedRun(t, 'none', async (b) => {
    b.setBehaviour({}, { count: 1, ops: ['standingTransfer'] });
    b.queueBehaviour({ silence: true }, { count: 1, ops: ['standingTransfer'] });
    // The second 0200 arrives: the bank applies it and never answers.
    await new Promise<void>((resolve) => b.on('request', (e) => e.op === 'standingTransfer' && sentTransfers(b).length === 2 && resolve()));
  });
  t.is(sentBeforeResume, 2);
  t.like(resumed, { planned: 3, approved: { count: 2, amount: 12000 }, reversed: 1, reversing: 0, notSent: 0 });
  t.like(next, { planned: 0 });
  eachSentOnce(t, sentTransfers(bank), 3);
  t.deepEqual(bank.state().applied.map((a) => [a.pan, a.amount, a.status]), [
    [ZHANG.pan, 10000, 'debited'], [LI.pan, 1000, 'reversed'], [QIAN.pan, 2000, 'debited'],
  ]);
  t.deepEqual(bank.log.filter((e) => e.op === 'standingReversal').map((e) => [e.reason, e.responseCode]), [['98', '00']]);
  t.is(bank.balanceOf(LI.pan), 3000, 'the reversal made the account whole');
});

test('a run killed between journaling its second transfer and sending it never sends that one: reversed as not found, the third sent', async (t) => {
  const { dir, bank, summaries: [resumed], sentBeforeResume } = await killedRun(t, '2:bank-pending');
  t.is(sentBeforeResume, 1);
  t.like(resumed, { planned: 3, approved: { count: 2, amount: 12000 }, reversed: 1 });
  eachSentOnce(t, sentTransfers(bank), 2);
  t.deepEqual(sentTransfers(bank).map((e) => e.amount), [10000, 2000]);
  t.deepEqual(bank.state().applied.map((a) => [a.pan, a.status]), [[ZHANG.pan, 'debited'], [LI.pan, 'reversal-only'], [QIAN.pan, 'debited']]);
  const { transfers } = await journal(t, dir);
  t.like(transfers.find((r) => r.campusAccount === LI.account), { state: 'reversed', reversalAnswer: 'not-found' });
});

test('a run killed between an approval and its credit owes that credit once on resume', async (t) => {
  const { dir, bank, summaries: [resumed] } = await killedRun(t, '1:approved');
  t.like(resumed, { planned: 3, approved: { count: 3, amount: 13000 }, reversed: 0 });
  eachSentOnce(t, sentTransfers(bank), 3);
  const { owedTo } = await journal(t, dir);
  t.is(owedTo(ZHANG.asn).length, 1);
  t.is(owedTo(LI.asn).length, 1);
});
