/**
 * The harness catches a deliberately broken kiosk. QUANCUN_CHAOS_BROKEN=lying-credit is read only by the chaos
 * harness's child tap (sim/chaos/child-tap.ts, preloaded into the processes the harness starts, never into a
 * deployed kiosk): the kiosk takes the card's successful answer to CREDIT FOR LOAD as a refusal and has the debit
 * undone, so the card keeps money the bank got back. `lying-debit` does it to DEBIT FOR PURCHASE: the kiosk abandons
 * a fee the card paid, so neither the biller nor a refund stands for the card's money.
 */
import test from 'ava';
import { loadConfig } from '../../common/config.ts';
import { runChaos } from '../../sim/chaos/harness.ts';

const EMBEDDED = new URL('../../config/embedded.json', import.meta.url).pathname;
/** Seed 11's runs as they were drawn before subsidy and transfer runs existed: two loads, then a fee. */
const KINDS = ['load', 'wrong-pin', 'unbound-card', 'fee'] as const;

test('a kiosk that undoes a load the card applied is reported: credited and reversed, sums off, with seed and run to replay', async (t) => {
  t.timeout(120_000);
  const report = await runChaos({
    loaded: loadConfig(EMBEDDED), runs: 3, seed: 11, kinds: KINDS, faultKinds: [], kioskEnv: { QUANCUN_CHAOS_BROKEN: 'lying-credit' },
  });
  const first = report.violations.find((v) => v.rule === 'credited-and-reversed');
  t.truthy(first, JSON.stringify(report.violations, null, 2));
  t.is(first!.seed, 11);
  t.is(first!.replay, `quancun chaos --seed 11 --replay ${first!.run}  (with the runs before it: --runs ${first!.run + 1})`);
  t.true(report.violations.some((v) => v.rule === 'sums'));
});

test('a kiosk that abandons a fee the card paid is reported: the debit unaccounted, the fee sums off', async (t) => {
  t.timeout(120_000);
  // Seed 11: two loads, then run 2 pays a 14 fen fee from the card the second load credited.
  const report = await runChaos({
    loaded: loadConfig(EMBEDDED), runs: 3, seed: 11, kinds: KINDS, faultKinds: [], kioskEnv: { QUANCUN_CHAOS_BROKEN: 'lying-debit' },
  });
  t.is(report.mix.fee, 1);
  const unaccounted = report.violations.find((v) => v.rule === 'fee-unaccounted');
  t.truthy(unaccounted, JSON.stringify({ violations: report.violations, outcomes: report.outcomes }));
  t.is(unaccounted!.run, 2);
  t.regex(unaccounted!.detail, /card debited 14 fen, no biller payment or refund \(gateway state not-debited\)/);
  t.true(report.violations.some((v) => v.rule === 'fee-sums' && /card purchase debits 14 fen/.test(v.detail)), JSON.stringify(report.violations));
  t.false(report.violations.some((v) => v.rule === 'sums'), 'the loads still add up');
});

test('the same runs without the switch hold', async (t) => {
  t.timeout(120_000);
  const report = await runChaos({ loaded: loadConfig(EMBEDDED), runs: 3, seed: 11, kinds: KINDS, faultKinds: [] });
  t.deepEqual(report.violations, []);
  t.true((report.outcomes.completed ?? 0) > 0, JSON.stringify(report.outcomes));
  t.is(report.mix.fee, 1);
});
