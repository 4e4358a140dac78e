/**
 * A real load through the embedded system (kiosk, broker, gateway, bank simulator over TCP) and what the console
 * reads of it: the live changes in the order the gateway wrote them, the search by card, and the story: the gateway's
 * states, the kiosk's report, the final posting and the 0200/0210 decoded with the card number masked, and nowhere in
 * the gateway's kept bank messages the full card number.
 */
import test from 'ava';
import { once } from 'node:events';
import type { TxnSummary } from '../../gateway/loads/transaction-search.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { ZHANG } from '../support/torn-load.ts';

test("a completed load's story, its live changes and the search that finds it", async (t) => {
  const system = await startTestSystem(t);
  const { transactions, reports, store, isoMessages } = system.gateway;
  const changes: TxnSummary[] = [];
  transactions.on('change', (s) => changes.push(s));
  const reported = once(reports, 'recorded');
  const outcome = await loadAt(system, 'K001', ZHANG, 5000);
  t.like(outcome, { state: 'completed' });
  await reported;
  const txnId = (outcome as { txnId: string }).txnId;

  t.deepEqual(changes.map((c) => c.state), ['received', 'bank-pending', 'approved', 'mac2-issued', 'completed']);
  t.true(changes.every((c) => c.txnId === txnId && c.bankAccount === '621700*********0018'));

  const found = await transactions.search({ card: '0018', kiosk: 'K001' });
  t.deepEqual(found.items.map((i) => i.txnId), [txnId]);

  const story = await transactions.story(txnId);
  t.deepEqual(story.gateway.history.map((h) => h.state), ['received', 'bank-pending', 'approved', 'mac2-issued', 'completed']);
  t.like(story.summary, { txnId, kioskId: 'K001', state: 'completed', amount: 5000, bankId: 'unionpay', card: '310300**********0001' });
  t.like(story.kiosk, [{ kioskId: 'K001', event: { txnId, kind: 'load', state: 'completed', amount: 5000 } }]);
  t.like(story.posting, { txnId, amount: 5000, status: 'final' });
  t.deepEqual(story.bank.map((m) => [m.direction, m.mti, m.op, m.responseCode]), [['sent', '0200', 'transfer', undefined], ['received', '0210', 'transfer', '00']]);
  t.like(story.bank[0]!.fields.find((f) => f.no === 2), { value: '621700*********0018' });
  t.like(story.bank[0]!.fields.find((f) => f.no === 52), { value: '(PIN block, not kept)' });
  t.like(story.bank[0]!.fields.find((f) => f.no === 63), { value: txnId });
  t.is(typeof story.bank[1]!.answerMs, 'number');
  t.is(story.settlement, null);

  await isoMessages.flush();
  const kept = JSON.stringify(await store.list('iso/'));
  t.true(kept.includes('0810'));
  t.false(kept.includes(ZHANG.pan));
});
