/**
 * A kiosk restarted (stopped, then a new Kiosk on the same journal) with an unfinished record in each state that can
 * be recovered ends every one of them via `txn.status`, moving money only where the gateway's journal says it is owed.
 * Records are made by real loads on the embedded system, stopped while the kiosk waits for a torn card; where the
 * crash happened earlier, the record is rewound on disk to the state it would have been left in (a crash image).
 */
import test, { type ExecutionContext } from 'ava';
import type { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import type { LoadRecord } from '../../runtime/flows/load/load-machine.ts';
import type { CollectRecord } from '../../runtime/flows/collect/collect-machine.ts';
import { restartKiosk, startTestSystem, type TestSystem } from '../support/kiosk-system.ts';
import { CREDIT_FOR_LOAD, postingsOf, recovered, startTornLoad, ZHANG } from '../support/torn-load.ts';

const AMOUNT = 5000;

/** A load at K001 whose card left during the credit, the kiosk stopped while asking for it back. */
type WhileDown = (journal: KioskJournal, txnId: string, system: TestSystem) => Promise<void>;

async function stoppedWhileTorn(t: ExecutionContext, when: 'before' | 'after', whileDown?: WhileDown) {
  const system = await startTestSystem(t);
  const torn = await startTornLoad(system, 'K001', AMOUNT, when);
  const { txnId } = await torn.rePresent;
  const { kiosk } = await restartKiosk(t, system, 'K001', whileDown && ((journal) => whileDown(journal, txnId, system)));
  t.like(await torn.outcome, { state: 'torn' }, 'a stopping kiosk leaves the torn load to recovery');
  return { system, kiosk, txnId };
}

/** Rewrites a record on disk as a crash at `state` would have left it: history cut there, `drop` fields never written. */
async function rewindLoad(journal: KioskJournal, txnId: string, state: LoadRecord['state'], drop: Array<keyof LoadRecord> = [], patch: Partial<LoadRecord> = {}) {
  const rec = await journal.loads.require(txnId);
  const history = rec.history.slice(0, rec.history.findIndex((h) => h.state === state) + 1);
  const rewound: Partial<LoadRecord> = { ...rec, ...patch, state, history: history.length ? history : [...rec.history, { state, at: rec.updatedAt }] };
  for (const field of drop) delete rewound[field];
  await journal.store.put(`txn/load/${txnId}`, rewound);
}

/** The TAC the card keeps for its last load (what GET TRANSACTION PROVE returns). */
function loadTacOnCard(system: TestSystem): string {
  return system.cards.get(ZHANG.asn)!.state().proofs.find((p) => p.type === 0x02)!.tac;
}

function assertNothingMoved(t: ExecutionContext, system: TestSystem): void {
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 1000, onlineCounter: 0 });
  t.is(system.bank.balanceOf(ZHANG.pan), 500_000);
}

test('torn at restart: the card is gone, so the load is parked as pending, then collected at the next tap', async (t) => {
  const { system, kiosk, txnId } = await stoppedWhileTorn(t, 'before');
  const ended = recovered(kiosk, txnId);
  await kiosk.start();
  t.is(await ended, 'pending-load');
  t.like(await kiosk.journal.loads.require(txnId), { state: 'pending-load', code: 'LOAD_PENDING', outcome: 'pending-load' });
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'pending-load' });
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'pending' }]);

  const { reader } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const [collected] = await kiosk.collect(await kiosk.openSession());
  t.like(collected, { pendingId: txnId, state: 'completed', tacVerified: true, cardAfter: 6000 });
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'final' }]);
});

for (const state of ['authorizing', 'authorized'] as const) {
  test(`${state} at restart while the gateway issued the MAC2 the card never got: the debit is reversed`, async (t) => {
    const drop: Array<keyof LoadRecord> = state === 'authorizing' ? ['mac2', 'hostDate', 'hostTime', 'bankRef', 'code'] : ['code'];
    const { system, kiosk, txnId } = await stoppedWhileTorn(t, 'before', (journal, id) => rewindLoad(journal, id, state, drop));
    t.like(await system.gateway.loads.loads.require(txnId), { state: 'mac2-issued' });
    const ended = recovered(kiosk, txnId);
    await kiosk.start();
    t.is(await ended, 'abandoned');
    t.like(await kiosk.journal.loads.require(txnId), { state: 'abandoned', outcome: 'reversed' });
    t.like(await system.gateway.loads.loads.require(txnId), { state: 'reversed' });
    assertNothingMoved(t, system);
    t.is(system.bank.log.filter((e) => e.mti === '0200').length, 1);
    t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'reversed' }]);
  });
}

test('credited at restart (the TAC journaled, the confirm never sent): the final posting is made', async (t) => {
  const { system, kiosk, txnId } = await stoppedWhileTorn(t, 'after', async (journal, id, sys) => {
    await rewindLoad(journal, id, 'credited', ['code'], { tac: loadTacOnCard(sys), cardAfter: 6000 });
  });
  const ended = recovered(kiosk, txnId);
  await kiosk.start();
  t.is(await ended, 'completed');
  t.like(await kiosk.journal.loads.require(txnId), { state: 'completed', tacVerified: true });
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'completed', newBalance: 6000 });
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'final' }]);
});

test('created, and authorizing never received by the gateway, at restart: closed as not debited', async (t) => {
  const system = await startTestSystem(t);
  const load = { kind: 'load' as const, amount: AMOUNT, terminalId: '000000000001', asn: ZHANG.asn, cardBefore: 1000 };
  const { kiosk } = await restartKiosk(t, system, 'K001', async (journal) => {
    await journal.loads.create({ ...load, id: 'K001-00000090', state: 'created' });
    await journal.loads.create({ ...load, id: 'K001-00000091', state: 'authorizing', onlineCounter: 0 });
  });
  const ended = [recovered(kiosk, 'K001-00000090'), recovered(kiosk, 'K001-00000091')];
  await kiosk.start();
  t.deepEqual(await Promise.all(ended), ['abandoned', 'abandoned']);
  t.like(await kiosk.journal.loads.require('K001-00000090'), { outcome: 'not-debited' });
  t.like(await kiosk.journal.loads.require('K001-00000091'), { outcome: 'not-debited' });
  // The gateway records the refusal, so a late authorize with that id can never debit.
  t.like(await system.gateway.loads.loads.require('K001-00000091'), { state: 'rejected', code: 'TXN_UNKNOWN' });
  t.is(await system.gateway.loads.loads.get('K001-00000090'), undefined, 'nothing was sent for a created load');
  assertNothingMoved(t, system);
  t.is(system.bank.log.filter((e) => e.mti === '0200').length, 0);
  t.deepEqual(await system.gateway.ledger.postings(), []);
});

test('a collect credited at restart (TAC journaled, confirm never sent) gets its final posting', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'before');
  const parked = await torn.outcome;
  t.is(parked.state, 'pending-load');
  const { reader, kiosk: before } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  // The collect's credit reaches the card and its answer is lost: the crash image rewinds it to `credited`.
  reader!.tear({ ins: CREDIT_FOR_LOAD, when: 'after' });
  const [lost] = await before.collect(await before.openSession());
  t.like(lost, { state: 'not-collected', code: 'CARD_NO_ANSWER' });
  const { kiosk } = await restartKiosk(t, system, 'K001', async (journal) => {
    const rec = await journal.collects.require(lost!.txnId);
    const credited: CollectRecord = {
      ...rec, state: 'credited', tac: loadTacOnCard(system), cardAfter: 6000,
      history: [...rec.history.filter((h) => h.state !== 'not-collected'), { state: 'credited', at: rec.updatedAt }],
    };
    delete credited.code;
    await journal.store.put(`txn/collect/${rec.id}`, credited);
  });
  const ended = recovered(kiosk, lost!.txnId);
  await kiosk.start();
  t.is(await ended, 'completed');
  t.like(await kiosk.journal.collects.require(lost!.txnId), { state: 'completed', tacVerified: true });
  t.like(await system.gateway.loads.loads.require(parked.txnId), { state: 'completed' });
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 6000, onlineCounter: 1 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000);
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId: parked.txnId, amount: AMOUNT, status: 'final' }]);
});

test('a torn load that could not be parked while the network was down is parked when the link comes back', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const { kiosk, network } = system.kiosks.get('K001')!;
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'before');
  const { txnId } = await torn.rePresent;
  const offline = new Promise<void>((resolve) => kiosk.link.once('offline', () => resolve()));
  network!.unplug();
  await offline;
  t.like(await torn.outcome, { state: 'torn' }, 'the park could not be sent');
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'mac2-issued' });

  const ended = recovered(kiosk, txnId);
  network!.replug();
  t.is(await ended, 'pending-load');
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'pending-load' });
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'pending' }]);
  t.like(system.cards.get(ZHANG.asn)!.state(), { balance: 1000, onlineCounter: 0 });
  t.is(system.bank.balanceOf(ZHANG.pan), 495_000, 'the debit stands: the amount waits for the card');
});
