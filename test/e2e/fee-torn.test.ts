/**
 * Torn purchases: the card leaves the field while DEBIT FOR PURCHASE is on its way. After DEBIT was sent, nothing but
 * the card's own offline counter decides: applied (GET TRANSACTION PROVE gives the MAC2 and TAC the gateway verifies,
 * then the biller is paid) or not (the fee ends with nothing moved). A card that stays away leaves the fee undecided,
 * never refused. 张三's card holds 10.00 and is issued with offline counter 0 (config/embedded.json).
 */
import test from 'ava';
import { once } from 'node:events';
import type { RePresentInfo } from '../../runtime/flows/load/torn-load.ts';
import { restartKiosk, startTestSystem } from '../support/kiosk-system.ts';
import { CREDIT_FOR_LOAD, recovered, ZHANG } from '../support/torn-load.ts';

const DEBIT_FOR_PURCHASE = 0x54;
const ORDER = { billerId: 'dorm-power', account: '3402', amount: 300 };

async function tornFee(when: 'before' | 'after', t: import('ava').ExecutionContext, rePresentSeconds = 30) {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = rePresentSeconds) });
  const { kiosk, reader } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  reader!.insert(card);
  const session = await kiosk.openSession();
  reader!.tear({ ins: DEBIT_FOR_PURCHASE, when });
  const rePresent = once(kiosk, 're-present').then(([info]) => info as RePresentInfo);
  return { system, kiosk, reader: reader!, card, rePresent, outcome: kiosk.fee(session, ORDER) };
}

test('the card applied the debit and its answer was lost: on the re-tap its proof pays the biller once', async (t) => {
  const { system, kiosk, reader, card, rePresent, outcome } = await tornFee('after', t);
  t.like(await rePresent, { amount: 300 });
  t.like(card.state(), { balance: 700, offlineCounter: 1 }, 'the card applied the debit before leaving');
  reader.insert(card);
  t.like(await outcome, { state: 'completed', cardAfter: 700, receiptNo: 'R00000001' });
  const record = await kiosk.journal.fees.require('K001-00000001');
  t.deepEqual(record.history.map((h) => h.state), ['created', 'beginning', 'debiting', 'torn', 'debited', 'completed']);
  t.is(record.tac, card.state().proofs.find((p) => p.type === 0x06)!.tac);
  t.like(card.state(), { balance: 700, offlineCounter: 1 });
  t.is(system.billers.received('dorm-power', '3402'), 300);
  t.like(await system.gateway.fees.fees.require('K001-00000001'), { state: 'paid' });
});

test('the card never saw the debit: the fee ends not-debited, and nothing moved anywhere', async (t) => {
  const { system, kiosk, reader, card, rePresent, outcome } = await tornFee('before', t);
  await rePresent;
  t.like(card.state(), { balance: 1000, offlineCounter: 0 });
  reader.insert(card);
  t.like(await outcome, { state: 'not-debited' });
  t.deepEqual((await kiosk.journal.fees.require('K001-00000001')).history.map((h) => h.state),
    ['created', 'beginning', 'debiting', 'torn', 'abandoning', 'not-debited']);
  t.like(card.state(), { balance: 1000, offlineCounter: 0 });
  t.is(system.billers.received('dorm-power', '3402'), 0);
  t.like(await system.gateway.fees.fees.require('K001-00000001'), { state: 'not-debited' });
});

test('a card that does not come back leaves the fee undecided, not refused: the gateway holds its MAC1 open', async (t) => {
  const { system, card, outcome } = await tornFee('after', t, 1);
  t.like(await outcome, { state: 'undecided', code: 'CARD_NO_ANSWER' });
  t.like(card.state(), { balance: 700 });
  t.like(await system.gateway.fees.fees.require('K001-00000001'), { state: 'mac1-issued' });
  t.is(system.billers.received('dorm-power', '3402'), 0);
});

test('a kiosk restarted with a debited fee confirms it at start: the biller is paid once', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk, reader } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  const paid = await kiosk.fee(session, ORDER);
  t.is(paid.state, 'completed');
  // A crash image: the kiosk's record of that fee as it was on disk before its confirm's answer came (`debited`); the
  // gateway had paid the biller.
  const restarted = await restartKiosk(t, system, 'K001', async (journal) => {
    const rec = await journal.fees.require('K001-00000001');
    await journal.store.put('txn/fee/K001-00000001', { ...rec, state: 'debited', history: rec.history.slice(0, 4), receiptNo: undefined });
  });
  const ended = recovered(restarted.kiosk, 'K001-00000001');
  await restarted.assembled.start();
  t.is(await ended, 'completed');
  t.is(system.billers.received('dorm-power', '3402'), 300, 'the same payment id: paid once');
  t.is(system.billers.payments().length, 1);
});

test('a refund whose credit tore stays owed: no load passes it, and the next tap decides by the card\'s counter', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk, reader } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  reader!.insert(card);
  const session = await kiosk.openSession();
  system.billers.refuseNext();
  // The refund's CREDIT FOR LOAD reaches the card and its answer is lost.
  reader!.tear({ ins: CREDIT_FOR_LOAD, when: 'after' });
  const outcome = await kiosk.fee(session, ORDER);
  t.like(outcome, { state: 'refund-owed', code: 'BILLER_REFUSED' });
  t.like(outcome.refund, { state: 'not-collected', code: 'CARD_NO_ANSWER' });
  t.like(card.state(), { balance: 1000, onlineCounter: 1 }, 'the card applied the refund before its answer was lost');
  t.like(await system.gateway.credits.credits.require('K001-00000001-refund'), { state: 'mac2-issued', onlineCounter: 0, oldBalance: 700 });
  await t.throwsAsync(kiosk.link.request('load.authorize', {
    txnId: 'K001-direct', asn: ZHANG.asn, amount: 2000, terminalId: '000000000001', pinBlock: '0000000000000000',
    card: { oldBalance: 1000, onlineCounter: 1, keyVersion: 1, algId: 0, random: '00000000', mac1: '00000000' },
  }), { code: 'PENDING_LOAD_FIRST' });

  reader!.insert(card);
  const again = await kiosk.openSession();
  t.deepEqual(again.account.pendingLoads, [{ pendingId: 'K001-00000001-refund', source: 'fee-refund', amount: 300, onlineCounter: 0, oldBalance: 700 }]);
  const [collected] = await kiosk.collect(again);
  t.like(collected, { state: 'completed', tacVerified: true, cardAfter: 1000, via: 'proof' });
  t.like(card.state(), { balance: 1000, onlineCounter: 1 }, 'credited once');
  t.like(await system.gateway.credits.credits.require('K001-00000001-refund'), { state: 'completed' });
  t.like(await system.gateway.ledger.posting('K001-00000001-refund'), { amount: 300, status: 'final', source: 'fee-refund' });
});
