/**
 * The console's Money owed and Reconciliation sections over HTTP, as the page and `quancun reconcile` use them, on
 * the embedded default: a reversal waiting on a bank that drops it, retried by an operator (a viewer refused by the
 * server), and a day reconciled by the running gateway while a kiosk serves a load, a difference resolved with a
 * note, the reports downloaded, and the CLI's run made through the same API. Every action is in the audit log.
 */
import test from 'ava';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import type { QuancunError } from '../../common/errors.ts';
import type { AuditEntry } from '../../gateway/console/audit-log.ts';
import type { ConsoleClient } from '../../gateway/console/console-client.ts';
import type { ReconcileRunView } from '../../gateway/console/sections/reconcile.ts';
import type { MoneyOwedView } from '../../gateway/loads/money-owed.ts';
import type { ReconcileRun } from '../../gateway/reconcile/reconcile-service.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { lastJson, quancun, quancunWithEnv } from '../support/cli.ts';
import { CONSOLE_USERS, startConsoleSystem } from '../support/console.ts';
import { loadAt, reportReached } from '../support/kiosk-system.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };
const LI = '31030000002023010002';

const refusal = async (t: import('ava').ExecutionContext, p: Promise<unknown>) => ((await t.throwsAsync(p)) as QuancunError).code;

async function audit(client: ConsoleClient, action: string): Promise<Array<[string, string, string | undefined]>> {
  const { entries } = await client.get<{ entries: AuditEntry[] }>(`audit?action=${action}`);
  return entries.map((e) => [e.user, e.result, e.code]).reverse() as Array<[string, string, string | undefined]>;
}

test('a reversal waiting on a bank that drops it: seen with its tries, retried now by an operator, never by a viewer', async (t) => {
  const system = await startConsoleSystem(t, { edit: (c) => void (c.reversals = { minMs: 60_000 }) });
  // The transfer's answer fails its MAC (so it is reversed), and the bank drops every reversal until told otherwise.
  system.bank.setBehaviour({ badMac: true }, { count: 1 });
  system.bank.queueBehaviour({ dropConnection: true }, { ops: ['reversal'] });
  await loadAt(system, 'K001', ZHANG, 1500);
  const operator = await system.signIn('operator');
  const viewer = await system.signIn('viewer');

  const owed = await viewer.get<MoneyOwedView>('owed');
  t.false(JSON.stringify(owed).includes(ZHANG.asn));
  t.is(owed.reversals.length, 1);
  const [waiting] = owed.reversals;
  t.like(waiting, { kioskId: 'K001', bankId: 'unionpay', amount: 1500, card: '310300**********0001', reason: 'A0', actions: ['retry-reversal'], trying: false });
  t.true(waiting!.attempts >= 1);
  t.truthy(waiting!.lastError?.code);
  t.truthy(waiting!.nextTryAt);
  const path = `owed/reversals/${waiting!.txnId}/retry`;
  const stan = String((await system.gateway.loads.loads.require(waiting!.txnId)).stan).padStart(6, '0');
  const sent = () => system.bank.log.filter((e) => e.mti === '0400' && e.stan === stan).length;
  const before = sent();

  t.is(await refusal(t, viewer.post(path)), 'CONSOLE_FORBIDDEN');
  t.is(sent(), before, 'nothing sent for a viewer');
  // Still dropped: the try is counted, the reversal stays owed.
  const again = await operator.post<{ item: { attempts: number; trying: boolean } | null }>(path);
  t.like(again.item, { attempts: waiting!.attempts + 1, trying: false });
  t.is(sent(), before + 1);

  system.bank.setBehaviour({});
  const done = await operator.post<{ item: unknown; owed: MoneyOwedView }>(path);
  t.is(done.item, null);
  t.deepEqual(done.owed.reversals, []);
  t.is(sent(), before + 2);
  t.like(await system.gateway.loads.loads.require(waiting!.txnId), { state: 'reversed' });
  t.deepEqual(await operator.get<MoneyOwedView>('owed').then((o) => o.reversals), []);
  t.deepEqual(await audit(operator, 'owed.retry-reversal'), [
    [CONSOLE_USERS.viewer.name, 'refused', 'CONSOLE_FORBIDDEN'], [CONSOLE_USERS.operator.name, 'ok', undefined], [CONSOLE_USERS.operator.name, 'ok', undefined],
  ]);
});

test('a day reconciled by the running gateway while a load goes through; a difference resolved; quancun reconcile through the same API', async (t) => {
  const dataDir = await tempDir(t, 'quancun-console-day-');
  const day = await quancun('sim', 'day', '--bank', 'unionpay', '--inject-differences', '--data-dir', dataDir, '--json');
  t.is(day.code, 0, day.stderr);
  const { injected } = lastJson(day.stdout) as { injected: Array<{ class: string; stan?: number; txnId?: string | null }> };
  const system = await startConsoleSystem(t, { dataDir, kioskIds: ['K001', 'K002'] });
  const today = campusTime(new Date(), system.loaded.config.campus.timeZone).date;
  // K001 went offline after the card was credited; back, it confirms with the card's TAC and reports it.
  await reportReached(system.gateway, injected.find((i) => i.class === 'card-credited-without-final-posting')!.txnId!);

  const operator = await system.signIn('operator');
  const viewer = await system.signIn('viewer');
  t.like(await viewer.get('reconcile'), { banks: ['unionpay'], today, runs: [] });
  t.is(await refusal(t, viewer.post('reconcile/runs', { bankId: 'unionpay', date: today })), 'CONSOLE_FORBIDDEN');
  t.is(await refusal(t, operator.post('reconcile/runs', { bankId: 'unionpay', date: today, file: '../../etc/passwd' })), 'CONFIG_INVALID');

  // The bank takes 5 s over the reversal the run sends again: a load goes through meanwhile.
  system.bank.setBehaviour({ latencyMs: 5000 }, { ops: ['reversal'] });
  const running = once(system.gateway.reconcile, 'run');
  const answer = operator.post<ReconcileRunView>('reconcile/runs', { bankId: 'unionpay', date: today });
  t.like((await running)[0], { state: 'running', by: CONSOLE_USERS.operator.name });
  const load = await runLoadScenario(system, { kioskId: 'K002', asn: LI, amount: 100, ...scenarioAccounts(system.loaded.config) });
  t.is(load.state, 'completed', load.message);
  const run = await answer;
  t.true((await system.gateway.loads.loads.require(load.txnId!)).updatedAt < run.finishedAt!, 'the load completed during the run');
  system.bank.setBehaviour({});
  t.like(run, { id: `unionpay.${today}.001`, state: 'finished', summary: { resolved: 2, open: 3 } });
  const differences = run.summary!.differences;
  const bankOnly = differences.find((d) => d.class === 'bank-only')!;
  t.like(bankOnly, { status: 'open', stan: 999001 });
  t.deepEqual(bankOnly.resolutions.map((r) => r.id), ['bank-refunded', 'bank-traced']);
  t.deepEqual(differences.find((d) => d.class === 'pending-load')!.resolutions, [], 'resolved: nothing left to do');

  const resolvePath = `reconcile/runs/${run.id}/differences/999001/resolve`;
  const note = 'bank ticket 4711: refunded on 12-07';
  t.is(await refusal(t, viewer.post(resolvePath, { resolution: 'bank-refunded', note })), 'CONSOLE_FORBIDDEN');
  t.is(await refusal(t, operator.post(resolvePath, { resolution: 'bank-refunded', note: '' })), 'RECON_RESOLUTION_INVALID');
  const resolved = await operator.post<ReconcileRun>(resolvePath, { resolution: 'bank-refunded', note });
  t.like(resolved.summary, { resolved: 3, open: 2 });
  const action = `The bank refunded or reversed the debit: ${note} (${CONSOLE_USERS.operator.name})`;
  const csv = await viewer.text(`reconcile/runs/${run.id}/report.csv`);
  t.true(csv.split('\r\n').includes(`bank-only,resolved,999001,,,3300,990000000001,,,,${action}`), csv);
  t.like(JSON.parse(await viewer.text(`reconcile/runs/${run.id}/report.json`)), { bankId: 'unionpay', date: today, resolved: 3, open: 2 });
  t.is(await refusal(t, operator.post(resolvePath, { resolution: 'bank-refunded', note })), 'RECON_DIFFERENCE_STATE');

  // quancun reconcile finds the gateway running on the data folder and asks it, as a console user.
  const env = { QUANCUN_CONSOLE_PASSWORD: CONSOLE_USERS.operator.password };
  const cli = ['reconcile', '--bank', 'unionpay', '--data-dir', dataDir, '--console', system.consoleUrl];
  const noUser = await quancunWithEnv(env, ...cli);
  t.is(noUser.code, 1);
  t.regex(noUser.stderr, /CONFIG_INVALID: a gateway runs on this data folder: reconcile signs in to its console, so --user/);
  const asViewer = await quancunWithEnv({ QUANCUN_CONSOLE_PASSWORD: CONSOLE_USERS.viewer.password }, ...cli, '--user', CONSOLE_USERS.viewer.name);
  t.regex(asViewer.stderr, /CONSOLE_FORBIDDEN/);
  const out = join(dataDir, 'downloaded');
  const remote = await quancunWithEnv(env, ...cli, '--user', CONSOLE_USERS.operator.name, '--out', out, '--json');
  t.is(remote.code, 1, remote.stderr); // differences are still open
  t.like(lastJson(remote.stdout), { resolved: 3, open: 2 });
  t.true(remote.stdout.includes(`reports: ${join(out, `unionpay-${today}.json`)}, ${join(out, `unionpay-${today}.csv`)}`), remote.stdout);
  t.true(readFileSync(join(out, `unionpay-${today}.csv`), 'utf8').includes(action));
  t.deepEqual((await viewer.get<{ runs: ReconcileRun[] }>('reconcile')).runs.map((r) => [r.id, r.by]), [
    [`unionpay.${today}.002`, CONSOLE_USERS.operator.name], [run.id, CONSOLE_USERS.operator.name],
  ]);
  t.deepEqual(await audit(operator, 'reconcile.run'), [
    [CONSOLE_USERS.viewer.name, 'refused', 'CONSOLE_FORBIDDEN'], [CONSOLE_USERS.operator.name, 'failed', 'CONFIG_INVALID'],
    [CONSOLE_USERS.operator.name, 'ok', undefined], [CONSOLE_USERS.viewer.name, 'refused', 'CONSOLE_FORBIDDEN'], [CONSOLE_USERS.operator.name, 'ok', undefined],
  ]);
  t.deepEqual(await audit(operator, 'reconcile.resolve'), [
    [CONSOLE_USERS.viewer.name, 'refused', 'CONSOLE_FORBIDDEN'], [CONSOLE_USERS.operator.name, 'failed', 'RECON_RESOLUTION_INVALID'],
    [CONSOLE_USERS.operator.name, 'ok', undefined], [CONSOLE_USERS.operator.name, 'failed', 'RECON_DIFFERENCE_STATE'],
  ]);
});
