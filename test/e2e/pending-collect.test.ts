/**
 * Pending loads (圈存未领): the card left during the credit and did not come back within limits.rePresentSeconds, so
 * the gateway keeps the amount for it (posting `pending`); at the card's next tap at another kiosk the amount is
 * written (领款 / 补写) with the same counter discipline: a credit that had in fact applied is only confirmed with its
 * TAC, one that had not gets a fresh MAC2. The bank is debited once throughout. Figures: config/embedded.json.
 */
import test, { type ExecutionContext } from 'ava';
import type { LoadOutcome } from '../../runtime/flows/load/load-flow.ts';
import { startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { CREDIT_FOR_LOAD, postingsOf, startTornLoad, ZHANG } from '../support/torn-load.ts';

const AMOUNT = 5000;

async function parkedAtK001(t: ExecutionContext, when: 'before' | 'after'): Promise<{ system: TestSystem; parked: LoadOutcome }> {
  const system = await startTestSystem(t, { kioskIds: ['K001', 'K002'], edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const torn = await startTornLoad(system, 'K001', AMOUNT, when);
  const parked = await torn.outcome;
  t.like(parked, { state: 'pending-load', code: 'LOAD_PENDING', cardBefore: 1000 });
  t.false('cardAfter' in parked, 'a pending load has no balance after: only the card\'s counter can tell');
  t.like(await system.gateway.loads.loads.require(parked.txnId), { state: 'pending-load' });
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId: parked.txnId, amount: AMOUNT, status: 'pending' }]);
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
  return { system, parked };
}

async function tapAt(system: TestSystem, kioskId: string) {
  const { kiosk, reader } = system.kiosks.get(kioskId)!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  return { kiosk, reader: reader!, session: await kiosk.openSession() };
}

async function assertCollectedOnce(t: ExecutionContext, system: TestSystem, txnId: string): Promise<void> {
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
  t.is(system.bank.log.filter((e) => e.mti === '0200').length, 1, 'one transfer sent to the bank');
  t.is(system.bank.log.filter((e) => e.mti === '0400').length, 0, 'no reversal');
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'final' }]);
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'completed', collector: 'K002', newBalance: 6000 });
}

test('a credit the card had applied is collected at another kiosk by its proof: no second credit', async (t) => {
  const { system, parked } = await parkedAtK001(t, 'after');
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 }, 'the card applied it before leaving');

  const { kiosk, session } = await tapAt(system, 'K002');
  t.deepEqual(session.account.pendingLoads, [{ pendingId: parked.txnId, source: 'load', amount: AMOUNT, onlineCounter: 0, oldBalance: 1000 }]);
  const [collected] = await kiosk.collect(session);
  t.like(collected, { pendingId: parked.txnId, state: 'completed', tacVerified: true, cardAfter: 6000 });
  t.like(await kiosk.journal.collects.require(collected!.txnId), { via: 'proof', state: 'completed' });
  t.deepEqual((await kiosk.journal.collects.require(collected!.txnId)).history.map((h) => h.state), ['checking', 'credited', 'completed']);
  await assertCollectedOnce(t, system, parked.txnId);
  t.deepEqual((await kiosk.openSession()).account.pendingLoads, []);
});

test('a credit the card never saw is written at another kiosk with a fresh MAC2; a new load waits until then', async (t) => {
  const { system, parked } = await parkedAtK001(t, 'before');
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 1000, onlineCounter: 0 });

  const { kiosk, session } = await tapAt(system, 'K002');
  await t.throwsAsync(kiosk.load(session, 2000), { code: 'PENDING_LOAD_FIRST' });
  // The gateway refuses too, before the bank or the card's MAC1 is looked at.
  await t.throwsAsync(kiosk.link.request('load.authorize', {
    txnId: 'K002-direct', asn: ZHANG.asn, amount: 2000, terminalId: '000000000002', pinBlock: '0000000000000000',
    card: { oldBalance: 1000, onlineCounter: 0, keyVersion: 1, algId: 0, random: '00000000', mac1: '00000000' },
  }), { code: 'PENDING_LOAD_FIRST' });

  const [collected] = await kiosk.collect(session);
  t.like(collected, { pendingId: parked.txnId, state: 'completed', tacVerified: true, cardAfter: 6000 });
  const record = await kiosk.journal.collects.require(collected!.txnId);
  t.like(record, { via: 'recredit' });
  t.deepEqual(record.history.map((h) => h.state), ['checking', 'crediting', 'credited', 'completed']);
  await assertCollectedOnce(t, system, parked.txnId);
  t.like(await system.gateway.loads.loads.require(parked.txnId), { recredits: 1, terminalId: '000000000002' });
});

test('a collect torn in its turn is decided at the next tap from the counter it left', async (t) => {
  const { system, parked } = await parkedAtK001(t, 'before');
  const first = await tapAt(system, 'K002');
  first.reader.tear({ ins: CREDIT_FOR_LOAD, when: 'after' });
  const [torn] = await first.kiosk.collect(first.session);
  t.like(torn, { state: 'not-collected', code: 'CARD_NO_ANSWER' });
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 }, 'the card applied the collect credit');
  t.like(await system.gateway.loads.loads.require(parked.txnId), { state: 'pending-load' });

  const again = await tapAt(system, 'K002');
  t.is(again.session.account.pendingLoads.length, 1);
  const [collected] = await again.kiosk.collect(again.session);
  t.like(collected, { state: 'completed', tacVerified: true, cardAfter: 6000 });
  t.like(await again.kiosk.journal.collects.require(collected!.txnId), { via: 'proof' });
  await assertCollectedOnce(t, system, parked.txnId);
});
