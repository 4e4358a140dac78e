/**
 * `quancun chaos` in the suite: a short seeded run against real processes (Mosquitto, the gateway and two kiosks as
 * child processes) injecting every fault kind, with zero violations; its --json last line.
 */
import test from 'ava';
import { lastJson, quancun } from '../support/cli.ts';

const KINDS = ['kiosk-kill', 'gateway-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed', 'card-never-returns'];

test('chaos --runs 300: every fault kind injected, zero violations, --json summary last', async (t) => {
  t.timeout(900_000);
  const run = await quancun('chaos', '--runs', '300', '--seed', '2026', '--json');
  const summary = lastJson<{ runs: number; faults: Record<string, number>; violations: unknown[] }>(run.stdout);
  t.deepEqual(summary.violations, [], run.stdout);
  t.is(run.code, 0, run.stderr);
  t.is(summary.runs, 300);
  for (const kind of KINDS) t.true((summary.faults[kind] ?? 0) > 0, `fault kind ${kind} was not injected: ${JSON.stringify(summary.faults)}`);
  t.regex(run.stdout, /^violations: 0$/m);
});
