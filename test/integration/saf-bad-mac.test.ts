/**
 * Store-and-forward reversal in one process: a transfer answered with a bad MAC is reversed with reason A0; the
 * first reversal's answer fails its MAC too, so the queue tries again after its backoff and the bank, which applied
 * the first, applies nothing more. The bank account is whole, the load and its posting end `reversed`.
 */
import test from 'ava';
import { once } from 'node:events';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { startTestSystem } from '../support/kiosk-system.ts';

// config/embedded.json: 张三's card (10.00) and the bank account bound to it (5000.00).
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', bank: 500_000, card: 1000 };

test('a bad MAC on the transfer and on the first reversal: reversed with reason A0 on the second try, applied once', async (t) => {
  const system = await startTestSystem(t);
  const confirmed = once(system.gateway.loads.reversals, 'confirmed');
  const failed = once(system.gateway.loads.reversals, 'failed');
  system.bank.setBehaviour({ badMac: true }, { count: 2 }); // the 0210 and the first 0410
  const result = await runLoadScenario(system, { kioskId: 'K001', amount: 5000, asn: ZHANG.asn, ...scenarioAccounts(system.loaded.config) });
  t.is(result.code, 'BANK_MAC_INVALID');
  t.is(result.card.after, ZHANG.card);

  const [txnId, attempts] = await failed;
  t.is(txnId, result.txnId);
  t.is(attempts, 1);
  t.deepEqual(await confirmed, [result.txnId, 2]);

  const reversals = system.bank.log.filter((e) => e.mti === '0400');
  t.deepEqual(reversals.map((e) => [e.reason, e.amount, e.responseCode]), [['A0', 5000, '00'], ['A0', 5000, '00']]);
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank);
  t.deepEqual(system.bank.state().applied.map((a) => [a.amount, a.status]), [[5000, 'reversed']]);
  const record = await system.gateway.loads.loads.require(result.txnId!);
  t.deepEqual(record.history.map((h) => h.state), ['received', 'bank-pending', 'reversing', 'reversed']);
  t.like(record, { reversalReason: 'A0', reversalAnswer: 'reversed' });
  t.like(await system.gateway.ledger.posting(result.txnId!), { amount: 5000, status: 'reversed' });
  t.deepEqual(system.gateway.loads.reversals.pending, []);
});
