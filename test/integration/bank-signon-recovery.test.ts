/**
 * A sign-on whose connection the bank drops is not the end of the session: the link reconnects and signs on again
 * by itself, and the next load goes through. (Found by the chaos harness while its bank faults were not yet pinned.)
 */
import test from 'ava';
import { once } from 'node:events';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startTestSystem } from '../support/kiosk-system.ts';

test('the bank drops the connection during a sign-on: the link signs on again by itself and a load completes', async (t) => {
  const system = await startTestSystem(t);
  const { link } = system.gateway.banks.get('unionpay')!;
  // As at a gateway's start: not signed on yet.
  await link.signOff();
  t.false(link.signedOn);
  system.bank.setBehaviour({ dropConnection: true }, { count: 1, ops: ['signOn'] });
  const signedOnAgain = once(link, 'signed-on');
  await t.throwsAsync(link.signOn());
  await signedOnAgain;
  t.true(link.signedOn);

  const result = await runLoadScenario(system, { kioskId: 'K001', amount: 5000, ...scenarioAccounts(system.loaded.config) });
  t.like(result, { state: 'completed', card: { before: 1000, after: 6000 }, bank: { before: 500_000, after: 495_000 }, tacVerified: true });
});
