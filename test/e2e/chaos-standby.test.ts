/**
 * Two gateways on one PostgreSQL (`quancun chaos --store postgres`): the serving gateway is killed (SIGKILL) right
 * after a journal step of a load, and the standby, already running and waiting for the store's lock, takes the store
 * over by itself, recovers the journal and serves; the harness starts the next standby. Two seeded series of loads
 * — one with the bank silent (reversals), one with the card leaving (pending loads) — kill the gateway between them
 * at every step of a load that allows a step, and the money invariant holds after every run: each bank debit ends as
 * a card credit, a pending load or a confirmed reversal, exactly once. Fee, subsidy and batch-transfer series kill it
 * at their own gateway steps: a fee paid or owed back, a credit collected once, a transfer reversed or applied once.
 */
import test from 'ava';
import { chaosSeries } from '../support/chaos-series.ts';

const STEPS = ['received', 'bank-pending', 'approved', 'mac2-issued', 'reversing', 'pending-load'];
const fired = new Set<string>();

for (const faults of ['gateway-kill,bank-silent', 'gateway-kill,card-removed']) {
  test.serial(`a standby takes over from a gateway killed mid-load (${faults}), zero violations`, async (t) => {
    const { summary } = await chaosSeries(t, '--store', 'postgres', '--runs', '60', '--seed', '11', '--kinds', 'load', '--faults', faults);
    const kills = Object.keys(summary.fired).filter((k) => k.startsWith('kill gw/load '));
    t.true(kills.length >= 4, `too few kills fired: ${JSON.stringify(summary.fired)}`);
    for (const k of kills) fired.add(k.slice('kill gw/load '.length));
  });
}

test.serial('between the two series the gateway was killed at every step of a load that allows a step', (t) => {
  t.deepEqual(STEPS.filter((s) => !fired.has(s)), [], `kills fired at: ${[...fired].join(', ')}`);
});

// The other money the gateway journals: a fee between the card's debit and the biller's answer, a subsidy owed and
// its MAC2 issued, a batch run's transfers at the bank. The standby's recovery ends each as a fresh gateway's would.
const OTHER_SERIES: Array<{ kinds: string; seed: string; steps: string[] }> = [
  { kinds: 'fee', seed: '8', steps: ['gw/fee mac1-issued', 'gw/fee debited', 'gw/fee paying'] },
  { kinds: 'subsidy,transfer', seed: '5', steps: ['gw/credit owed', 'gw/credit mac2-issued', 'gw/transfer bank-pending', 'gw/transfer-run planning'] },
];
for (const { kinds, seed, steps } of OTHER_SERIES) {
  test.serial(`a standby takes over from a gateway killed at the steps of ${kinds} runs, zero violations`, async (t) => {
    const { summary } = await chaosSeries(t, '--store', 'postgres', '--runs', '24', '--seed', seed, '--kinds', kinds, '--faults', 'gateway-kill');
    const killed = Object.keys(summary.fired).filter((k) => k.startsWith('kill ')).map((k) => k.slice('kill '.length));
    t.deepEqual(steps.filter((step) => !killed.includes(step)), [], `kills fired at: ${killed.join(', ')}`);
  });
}
