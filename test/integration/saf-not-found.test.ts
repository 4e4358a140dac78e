/**
 * A transfer lost on the way (the bank drops the connection before applying it) is still reversed, because the
 * gateway cannot know; the bank answers "original not found" (25), which confirms the reversal as well: the load ends
 * `reversed` with `reversalAnswer: 'not-found'`, nothing was debited, and a late copy of that transfer would be refused.
 */
import test from 'ava';
import { once } from 'node:events';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startTestSystem } from '../support/kiosk-system.ts';

// config/embedded.json: 张三's card (10.00) and the bank account bound to it (5000.00).
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', bank: 500_000, card: 1000 };

test('a transfer the bank never received: the reversal is answered "original not found" and ends the load reversed', async (t) => {
  const system = await startTestSystem(t);
  const confirmed = once(system.gateway.loads.reversals, 'confirmed');
  system.bank.setBehaviour({ dropConnection: true }, { count: 1 });
  const result = await runLoadScenario(system, { kioskId: 'K001', amount: 5000, asn: ZHANG.asn, ...scenarioAccounts(system.loaded.config) });
  t.is(result.code, 'BANK_TIMEOUT');
  t.is(result.card.after, ZHANG.card);
  t.deepEqual(await confirmed, [result.txnId, 1]);

  t.deepEqual(system.bank.log.filter((e) => e.mti === '0400').map((e) => [e.reason, e.responseCode, e.answered]), [['98', '25', true]]);
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank);
  t.deepEqual(system.bank.state().applied.map((a) => [a.amount, a.status]), [[5000, 'reversal-only']]);
  const record = await system.gateway.loads.loads.require(result.txnId!);
  t.like(record, { state: 'reversed', reversalReason: '98', reversalAnswer: 'not-found' });
  t.like(await system.gateway.ledger.posting(result.txnId!), { amount: 5000, status: 'reversed' });
});
