/**
 * The money defect of issue 9, on the real PC/SC stack: a card that applied CREDIT FOR LOAD and left the field before
 * its answer got out (its vpcd connection closed by FIN, or reset by RST). pcscd answers that transmit with 0 bytes
 * and success; the write is undecided, never a refusal, so the bank debit stands and the card's counter decides.
 * Figures from config/embedded.json: 张三's card holds 10.00, his bank account 5000.00, PIN 123456.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { startPcscTestSystem } from '../support/pcsc.ts';
import type { TestSystem } from '../support/kiosk-system.ts';
import { CREDIT_FOR_LOAD, postingsOf, ZHANG } from '../support/torn-load.ts';

const AMOUNT = 2000;

async function pcscSystem(t: ExecutionContext) {
  const { system, reader, connector } = await startPcscTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 3) });
  const { kiosk, keypad } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  /** Puts the card in the field and waits until the kiosk's reader sees it. */
  const present = async () => {
    const seen = reader.cardPresent ? undefined : once(reader, 'present');
    await connector.insert(card);
    await seen;
  };
  /** The card's next tap: once the reader saw it go, it is put back. */
  const retap = async () => {
    if (reader.cardPresent) await once(reader, 'absent');
    await present();
  };
  /** A session on the card in the field whose load will have its PIN typed when the pad asks. */
  const sessionWithPin = async () => {
    const session = await kiosk.openSession();
    keypad.once('entry', () => {
      keypad.type(ZHANG.pin);
      keypad.enter();
    });
    return session;
  };
  return { system, kiosk, connector, card, present, retap, sessionWithPin };
}

/** The bank debited once, no reversal, the card credited once, and the ledger's one posting as given. */
async function assertOneDebit(t: ExecutionContext, system: TestSystem, txnId: string, status: 'final' | 'pending', cardBalance: number) {
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank - AMOUNT, 'the bank debit stands');
  t.is(system.bank.log.filter((e) => e.mti === '0200').length, 1, 'one transfer');
  t.is(system.bank.log.filter((e) => e.mti === '0400').length, 0, 'no reversal');
  t.is(system.cards.get(ZHANG.asn)!.state().balance, cardBalance);
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status }]);
}

for (const how of ['fin', 'rst'] as const) {
  test(`card applied the credit and left by ${how.toUpperCase()} before answering, brought back: completed with its TAC`, async (t) => {
    const { system, kiosk, connector, card, present, retap, sessionWithPin } = await pcscSystem(t);
    await present();
    const session = await sessionWithPin();
    connector.tear({ ins: CREDIT_FOR_LOAD, when: 'after', how });
    const asked = once(kiosk, 're-present');
    const outcome = kiosk.load(session, AMOUNT);
    await asked;
    t.like(card.state(), { balance: ZHANG.card + AMOUNT, onlineCounter: 1 }, 'the card applied the credit');
    await retap();

    const done = await outcome;
    t.like(done, { state: 'completed', tacVerified: true, cardBefore: ZHANG.card, cardAfter: ZHANG.card + AMOUNT });
    const record = await kiosk.journal.loads.require(done.txnId);
    t.deepEqual(record.history.map((h) => h.state), ['created', 'authorizing', 'authorized', 'crediting', 'torn', 'credited', 'completed']);
    t.is(record.outcome, 'proof');
    t.is(record.tac, card.state().proofs.find((p) => p.type === 0x02)!.tac);
    await assertOneDebit(t, system, done.txnId, 'final', ZHANG.card + AMOUNT);
  });

  test(`card applied the credit and left by ${how.toUpperCase()}, never brought back: a pending load, then collected by its proof`, async (t) => {
    const { system, kiosk, connector, present, retap, sessionWithPin } = await pcscSystem(t);
    await present();
    const session = await sessionWithPin();
    connector.tear({ ins: CREDIT_FOR_LOAD, when: 'after', how });
    const parked = await kiosk.load(session, AMOUNT);
    t.like(parked, { state: 'pending-load', code: 'LOAD_PENDING' });
    await assertOneDebit(t, system, parked.txnId, 'pending', ZHANG.card + AMOUNT);
    t.like(await system.gateway.loads.loads.require(parked.txnId), { state: 'pending-load' });

    // The card's next tap: the collect finds the counter moved and completes with the proof, no second credit.
    await retap();
    const [collected] = await kiosk.collect(await kiosk.openSession());
    t.like(collected, { state: 'completed', tacVerified: true, cardAfter: ZHANG.card + AMOUNT });
    t.is((await kiosk.journal.collects.require(collected!.txnId)).via, 'proof');
    await assertOneDebit(t, system, parked.txnId, 'final', ZHANG.card + AMOUNT);
  });

  test(`a collect whose credit the card applied before leaving by ${how.toUpperCase()} stays owed; the next tap completes it by its proof`, async (t) => {
    const { system, kiosk, connector, card, present, retap, sessionWithPin } = await pcscSystem(t);
    await present();
    const session = await sessionWithPin();
    // First the card never sees the load's credit and does not come back: a pending load the card does not hold.
    connector.tear({ ins: CREDIT_FOR_LOAD, when: 'before', how });
    const parked = await kiosk.load(session, AMOUNT);
    t.like(parked, { state: 'pending-load' });
    t.is(card.state().balance, ZHANG.card);

    // At the next tap the collect's fresh credit is applied and its answer lost the same way.
    await retap();
    connector.tear({ ins: CREDIT_FOR_LOAD, when: 'after', how });
    const [torn] = await kiosk.collect(await kiosk.openSession());
    t.like(torn, { state: 'not-collected', code: 'CARD_NO_ANSWER' });
    t.is(card.state().balance, ZHANG.card + AMOUNT, 'the card holds it');
    t.like(await system.gateway.loads.loads.require(parked.txnId), { state: 'pending-load' });

    await retap();
    const [collected] = await kiosk.collect(await kiosk.openSession());
    t.like(collected, { state: 'completed', tacVerified: true, cardAfter: ZHANG.card + AMOUNT });
    t.is((await kiosk.journal.collects.require(collected!.txnId)).via, 'proof');
    await assertOneDebit(t, system, parked.txnId, 'final', ZHANG.card + AMOUNT);
    t.is(card.state().records.filter((r) => r.type === 0x02).length, 1, 'one load record on the card');
  });
}
