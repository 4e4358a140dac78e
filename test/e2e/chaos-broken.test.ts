/**
 * The harness catches a deliberately broken kiosk. QUANCUN_CHAOS_BROKEN=lying-credit is read only by the chaos
 * harness's child tap (sim/chaos/child-tap.ts, preloaded into the processes the harness starts, never into a
 * deployed kiosk): the kiosk takes the card's successful answer to CREDIT FOR LOAD as a refusal and has the debit
 * undone, so the card keeps money the bank got back.
 */
import test from 'ava';
import { loadConfig } from '../../common/config.ts';
import { runChaos } from '../../sim/chaos/harness.ts';

const EMBEDDED = new URL('../../config/embedded.json', import.meta.url).pathname;

test('a kiosk that undoes a load the card applied is reported: credited and reversed, sums off, with seed and run to replay', async (t) => {
  t.timeout(120_000);
  const report = await runChaos({
    loaded: loadConfig(EMBEDDED), runs: 3, seed: 11, faultKinds: [], kioskEnv: { QUANCUN_CHAOS_BROKEN: 'lying-credit' },
  });
  const first = report.violations.find((v) => v.rule === 'credited-and-reversed');
  t.truthy(first, JSON.stringify(report.violations, null, 2));
  t.is(first!.seed, 11);
  t.is(first!.replay, `quancun chaos --seed 11 --replay ${first!.run}  (with the runs before it: --runs ${first!.run + 1})`);
  t.true(report.violations.some((v) => v.rule === 'sums'));
});

test('the same runs without the switch hold', async (t) => {
  t.timeout(120_000);
  const report = await runChaos({ loaded: loadConfig(EMBEDDED), runs: 3, seed: 11, faultKinds: [] });
  t.deepEqual(report.violations, []);
  t.true((report.outcomes.completed ?? 0) > 0, JSON.stringify(report.outcomes));
});
