/**
 * Reconciliation inside a running gateway: `quancun sim day --inject-differences` makes a day and its bank file, then
 * the embedded system runs again on that data folder and its gateway reconciles the day while a kiosk serves a load,
 * which the run neither blocks nor reports (it was sent after the bank's file). A person resolves a difference left
 * open, with a note; the next run reports it resolved, and the reports say who and why.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import { loadConfig, type LoadedConfig } from '../../common/config.ts';
import type { QuancunError } from '../../common/errors.ts';
import { silentLogger } from '../../common/log.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startEmbeddedSystem } from '../../sim/embedded-system.ts';
import { lastJson, quancun } from '../support/cli.ts';
import { EMBEDDED_CONFIG, reportReached } from '../support/kiosk-system.ts';
import { passStore, storeOnPostgres } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const EMBEDDED = loadConfig(EMBEDDED_CONFIG);
const TODAY = campusTime(new Date(), EMBEDDED.config.campus.timeZone).date;

/**
 * The embedded default, its gateway's store on PostgreSQL in the e2e suite's second pass (test/support/postgres.ts):
 * the day is made and reconciled in the database while the gateway serves loads from it. Written as a file, so the
 * command that makes the day uses the same store.
 */
async function configFor(dataDir: string): Promise<{ loaded: LoadedConfig; args: string[] }> {
  if (!storeOnPostgres) return { loaded: EMBEDDED, args: [] };
  const path = join(dataDir, 'quancun.json');
  const raw = { ...JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')), dataDir };
  await passStore(raw);
  writeFileSync(path, JSON.stringify(raw));
  return { loaded: loadConfig(path), args: ['--config', path] };
}
const LI = '31030000002023010002';

test('a day reconciled while the gateway serves loads; a person resolves a difference, the next run reports it', async (t) => {
  const dataDir = await tempDir(t, 'quancun-live-');
  const { loaded, args } = await configFor(dataDir);
  const day = await quancun('sim', 'day', ...args, '--bank', 'unionpay', '--inject-differences', '--data-dir', dataDir, '--json');
  t.is(day.code, 0, day.stderr);
  const { injected } = lastJson(day.stdout) as { injected: Array<{ class: string; stan?: number; txnId?: string | null }> };
  const stanOf = (c: string) => injected.find((i) => i.class === c)!.stan!;

  const system = await startEmbeddedSystem({ loaded, log: silentLogger, dataDir, readerBackend: 'sim' });
  t.teardown(() => system.stop());
  const { gateway } = system;
  t.is(gateway.store.location.startsWith('postgresql:'), storeOnPostgres, 'the store this pass is about');
  // K001 went offline after the card was credited; back, it confirms with the card's TAC and reports it.
  await reportReached(gateway, injected.find((i) => i.class === 'card-credited-without-final-posting')!.txnId!);

  // The bank takes 5 s to answer the reversal the run sends again: the run is under way while a load goes through.
  system.bank.setBehaviour({ latencyMs: 5000 }, { ops: ['reversal'] });
  const { run: started, done } = await gateway.reconcile.start({ bankId: 'unionpay', date: TODAY, by: 'op1' });
  t.like(started, { id: `unionpay.${TODAY}.001`, state: 'running', by: 'op1', bankId: 'unionpay', date: TODAY });
  const conflict = await t.throwsAsync(gateway.reconcile.start({ bankId: 'unionpay', date: TODAY, by: 'op2' }));
  t.is((conflict as QuancunError).code, 'RECON_RUN_CONFLICT');
  const load = await runLoadScenario(system, { kioskId: 'K002', asn: LI, amount: 100, ...scenarioAccounts(loaded.config) });
  t.is(load.state, 'completed', load.message);
  const loadDone = (await gateway.loads.loads.require(load.txnId!)).updatedAt;
  const first = await done;
  t.true(loadDone < first.finishedAt!, 'the load completed while the run was still waiting for the bank');
  system.bank.setBehaviour({});

  t.like(first, { state: 'finished', summary: { resolved: 2, open: 3 } });
  const byClass = Object.fromEntries(first.summary!.differences.map((d) => [d.class, d]));
  t.deepEqual(Object.keys(byClass).sort(), ['amount-mismatch', 'bank-only', 'campus-only', 'pending-load', 'reversal-unconfirmed']);
  const txnOf = (c: string) => injected.find((i) => i.class === c)!.txnId;
  t.like(byClass['reversal-unconfirmed'], { status: 'resolved', txnId: txnOf('reversal-unconfirmed'), gatewayState: 'reversed' });
  t.like(byClass['pending-load'], { status: 'resolved', txnId: txnOf('pending-load'), gatewayState: 'pending-load' });
  t.like(byClass['bank-only'], { status: 'open', stan: stanOf('bank-only') });
  t.false(first.summary!.differences.some((d) => d.txnId === load.txnId), 'a load sent after the bank file is left to a later run');
  t.like(JSON.parse(readFileSync(first.reports!.json, 'utf8')), { bankId: 'unionpay', date: TODAY, resolved: 2, open: 3 });

  // What a person may not do.
  const code = async (p: Promise<unknown>) => ((await t.throwsAsync(p)) as QuancunError).code;
  const base = { runId: first.id, by: 'op1' };
  t.is(await code(gateway.reconcile.resolve({ ...base, stan: stanOf('bank-only'), resolution: 'bank-refunded', note: '  ' })), 'RECON_RESOLUTION_INVALID');
  t.is(await code(gateway.reconcile.resolve({ ...base, stan: stanOf('bank-only'), resolution: 'written-off', note: 'no' })), 'RECON_RESOLUTION_INVALID');
  t.is(await code(gateway.reconcile.resolve({ ...base, stan: byClass['pending-load']!.stan, resolution: 'bank-refunded', note: 'x' })), 'RECON_DIFFERENCE_STATE');
  t.is(await code(gateway.reconcile.resolve({ ...base, stan: 123456, resolution: 'bank-refunded', note: 'x' })), 'RECON_DIFFERENCE_UNKNOWN');
  t.is(await code(gateway.reconcile.resolve({ ...base, runId: 'unionpay.2020-01-01.001', stan: 1, resolution: 'x', note: 'x' })), 'RECON_RUN_UNKNOWN');

  const note = 'ticket 4711: the bank refunded 33.00 on 12-07';
  const resolved = await gateway.reconcile.resolve({ ...base, stan: stanOf('bank-only'), resolution: 'bank-refunded', note });
  const action = `The bank refunded or reversed the debit: ${note} (op1)`;
  t.like(resolved.summary!.differences.find((d) => d.class === 'bank-only'), { status: 'resolved', resolvedBy: 'op1', note, action });
  t.like(resolved.summary, { resolved: 3, open: 2 });
  t.is(await code(gateway.reconcile.resolve({ ...base, stan: stanOf('bank-only'), resolution: 'bank-refunded', note })), 'RECON_DIFFERENCE_STATE');
  const csv = await gateway.reconcile.report(first.id, 'csv');
  t.is(csv.filename, `unionpay-${TODAY}-001.csv`);
  t.true(csv.body.split('\r\n').includes(`bank-only,resolved,999001,,,3300,990000000001,,,,${action}`), csv.body);
  t.like(JSON.parse(readFileSync(first.reports!.json, 'utf8')), { resolved: 3, open: 2 }, 'the report files follow');

  const second = await gateway.reconcile.run({ bankId: 'unionpay', date: TODAY, by: 'op2' });
  t.is(second.id, `unionpay.${TODAY}.002`);
  t.like(second.summary!.differences.find((d) => d.class === 'bank-only'), { status: 'resolved', resolvedBy: 'op1', note, action });
  t.like(second.summary, { resolved: 3, open: 2 });
  t.is(await code(gateway.reconcile.resolve({ ...base, stan: stanOf('campus-only'), resolution: 'bank-holds-debit', note: 'x' })), 'RECON_RUN_STATE', 'a later run supersedes the first');
  t.deepEqual((await gateway.reconcile.runs({ bankId: 'unionpay', date: TODAY })).map((r) => [r.id, r.state, r.by]), [
    [second.id, 'finished', 'op2'], [first.id, 'finished', 'op1'],
  ]);
});
