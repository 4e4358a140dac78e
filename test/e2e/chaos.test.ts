/**
 * `quancun chaos` in the suite: a short seeded run against real processes (Mosquitto, the gateway and two kiosks as
 * child processes) covering the fault kinds the code holds today, with zero violations; its --json last line.
 * gateway-kill is left out: a gateway killed right after journaling `received` or `bank-pending` leaves that record
 * unfinished for good (no gateway start-up recovery of those states yet; see docs/chaos.md).
 */
import test from 'ava';
import { lastJson, quancun } from '../support/cli.ts';

const HOLDING = ['kiosk-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed'];

test('chaos --runs 40: every holding fault kind injected, zero violations, --json summary last', async (t) => {
  t.timeout(240_000);
  const run = await quancun('chaos', '--runs', '40', '--seed', '2026', '--faults', HOLDING.join(','), '--json');
  const summary = lastJson<{ runs: number; faults: Record<string, number>; violations: unknown[] }>(run.stdout);
  t.deepEqual(summary.violations, [], run.stdout);
  t.is(run.code, 0, run.stderr);
  t.is(summary.runs, 40);
  for (const kind of HOLDING) t.true((summary.faults[kind] ?? 0) > 0, `fault kind ${kind} was not injected: ${JSON.stringify(summary.faults)}`);
  t.regex(run.stdout, /^violations: 0$/m);
});
