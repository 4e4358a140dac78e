/**
 * Torn writes: the card leaves the field while CREDIT FOR LOAD is on its way and comes back while the kiosk asks for
 * it. Its online counter decides: applied (the TAC from GET TRANSACTION PROVE, then the final posting) or not (a fresh
 * MAC2 for the same debit). Either way the card is credited once and the bank debited once. Figures are the sample
 * data of config/embedded.json; the card is issued with online counter 0.
 */
import test from 'ava';
import type { VirtualCard } from '../../sim/card/virtual-card.ts';
import { startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { LI_ASN, postingsOf, startTornLoad, ZHANG } from '../support/torn-load.ts';

const AMOUNT = 5000;

async function assertCreditedOnce(t: import('ava').ExecutionContext, system: TestSystem, card: VirtualCard, txnId: string): Promise<void> {
  t.like(card.state(), { balance: 6000, onlineCounter: 1 });
  t.is(card.state().records.filter((r) => r.type === 0x02).length, 1, 'one load record on the card');
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
  t.is(system.bank.log.filter((e) => e.mti === '0200').length, 1, 'one transfer sent to the bank');
  t.is(system.bank.log.filter((e) => e.mti === '0400').length, 0, 'no reversal');
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'final' }]);
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'completed', newBalance: 6000 });
}

test('card applied the credit and its answer was lost: on the re-tap the proof completes the load', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk, reader } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'after');
  const asked = await torn.rePresent;
  t.like(asked, { amount: AMOUNT, secondsLeft: 30 });
  t.like(card.state(), { balance: 6000, onlineCounter: 1 }, 'the card applied the credit before leaving');
  reader!.insert(card);

  const outcome = await torn.outcome;
  t.like(outcome, { state: 'completed', tacVerified: true, cardBefore: 1000, cardAfter: 6000 });
  const record = await kiosk.journal.loads.require(outcome.txnId);
  t.deepEqual(record.history.map((h) => h.state), ['created', 'authorizing', 'authorized', 'crediting', 'torn', 'credited', 'completed']);
  t.is(record.outcome, 'proof');
  t.is(outcome.code, undefined, 'a torn load decided on the card carries no error');
  t.is(record.tac, card.state().proofs.find((p) => p.type === 0x02)!.tac);
  await assertCreditedOnce(t, system, card, outcome.txnId);
  t.is((await system.gateway.loads.loads.require(outcome.txnId)).recredits, undefined, 'no second MAC2');
});

test('card never saw the credit: a wrong card is ignored, the right one gets a fresh MAC2 and no second debit', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk, reader } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  const other = system.cards.get(LI_ASN)!;
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'before');
  await torn.rePresent;
  t.like(card.state(), { balance: 1000, onlineCounter: 0 }, 'the card did not see the credit');

  const mismatch = new Promise<void>((resolve) => {
    kiosk.on('re-present', (info) => info.code === 'CARD_MISMATCH' && resolve());
  });
  reader!.insert(other);
  await mismatch;
  t.like(other.state(), { balance: 0, onlineCounter: 0 }, 'the wrong card is not touched');
  reader!.remove();
  reader!.insert(card);

  const outcome = await torn.outcome;
  t.like(outcome, { state: 'completed', tacVerified: true, cardBefore: 1000, cardAfter: 6000 });
  const record = await kiosk.journal.loads.require(outcome.txnId);
  t.deepEqual(record.history.map((h) => h.state), [
    'created', 'authorizing', 'authorized', 'crediting', 'torn', 'crediting', 'credited', 'completed',
  ]);
  t.is(record.outcome, 'recredit');
  await assertCreditedOnce(t, system, card, outcome.txnId);
  t.is((await system.gateway.loads.loads.require(outcome.txnId)).recredits, 1);
});

test('the gateway refuses a fresh MAC2 once the card counter moved: the first credit applied', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const { kiosk } = system.kiosks.get('K001')!;
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'after');
  const outcome = await torn.outcome;
  t.is(outcome.state, 'pending-load');
  // What a kiosk skipping the counter check would ask: the card's INITIALIZE now shows counter 1, not 0.
  const error = await t.throwsAsync(kiosk.link.request('load.recredit', {
    txnId: outcome.txnId, terminalId: '000000000001',
    card: { oldBalance: 6000, onlineCounter: 1, keyVersion: 1, algId: 0, random: '00000000', mac1: '00000000' },
  }));
  t.is((error as { code?: string }).code, 'TXN_STATE');
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 });
});

test('a credit that filled the purse to its limit: the re-tap INITIALIZE is refused, the proof still decides', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.simulation!.cards[0]!.balance = 150_000) });
  const { reader } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  const torn = await startTornLoad(system, 'K001', 50_000, 'after');
  await torn.rePresent;
  t.like(card.state(), { balance: 200_000, onlineCounter: 1 }, 'the purse limit of config/embedded.json, reached');
  reader!.insert(card);
  const outcome = await torn.outcome;
  t.like(outcome, { state: 'completed', tacVerified: true, cardBefore: 150_000, cardAfter: 200_000 });
  t.like(card.state(), { balance: 200_000, onlineCounter: 1 });
  t.is(system.bank.balanceOf(ZHANG.pan), 450_000);
});
