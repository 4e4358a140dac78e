/**
 * `quancun chaos` in the suite: a short seeded run against real processes (Mosquitto, the gateway and two kiosks as
 * child processes) injecting every fault kind, with zero violations; its --json last line. And a series of fee runs
 * (缴费) whose faults fired: kills at the kiosk's and the gateway's fee steps, tears in a purchase, every biller fault.
 */
import test from 'ava';
import { lastJson, quancun } from '../support/cli.ts';

const KINDS = ['kiosk-kill', 'gateway-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed', 'card-never-returns'];
const BILLER_KINDS = ['biller-slow', 'biller-too-slow', 'biller-refuse', 'biller-down', 'biller-lost-answer'];
type Summary = { runs: number; mix: Record<string, number>; faults: Record<string, number>; tears: Record<string, number>; fired: Record<string, number>; violations: unknown[] };

test('chaos --runs 300: every fault kind injected, zero violations, --json summary last', async (t) => {
  t.timeout(900_000);
  const run = await quancun('chaos', '--runs', '300', '--seed', '2026', '--json');
  const summary = lastJson<Summary>(run.stdout);
  t.deepEqual(summary.violations, [], run.stdout);
  t.is(run.code, 0, run.stderr);
  t.is(summary.runs, 300);
  t.true((summary.mix.fee ?? 0) > 0 && (summary.mix.load ?? 0) > 0, JSON.stringify(summary.mix));
  for (const kind of [...KINDS, ...BILLER_KINDS]) t.true((summary.faults[kind] ?? 0) > 0, `fault kind ${kind} was not injected: ${JSON.stringify(summary.faults)}`);
  t.regex(run.stdout, /^violations: 0$/m);
});

test('chaos fee faults: kills at the kiosk\'s and the gateway\'s fee steps, tears in a purchase and every biller fault fired, zero violations', async (t) => {
  t.timeout(900_000);
  const faults = ['kiosk-kill', 'gateway-kill', 'card-removed', ...BILLER_KINDS].join(',');
  const run = await quancun('chaos', '--runs', '60', '--seed', '8', '--faults', faults, '--json');
  const summary = lastJson<Summary>(run.stdout);
  t.deepEqual(summary.violations, [], run.stdout);
  t.is(run.code, 0, run.stderr);
  const fired = Object.keys(summary.fired);
  t.true(fired.some((k) => k.startsWith('kill txn/fee ')), `no kiosk killed at a fee step: ${JSON.stringify(summary.fired)}`);
  t.true(fired.some((k) => k.startsWith('kill gw/fee ')), `no gateway killed at a fee step: ${JSON.stringify(summary.fired)}`);
  for (const kind of BILLER_KINDS) t.true((summary.fired[kind] ?? 0) > 0, `${kind} never met a payment: ${JSON.stringify(summary.fired)}`);
  t.true(Object.keys(summary.tears).some((p) => p.startsWith('fee ')), `no tear in a purchase: ${JSON.stringify(summary.tears)}`);
});
