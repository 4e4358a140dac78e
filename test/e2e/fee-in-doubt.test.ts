/**
 * A torn purchase whose card never came back to its kiosk (docs/fees.md, "Torn purchase"), decided by the card at its
 * next tap at another kiosk, through the real PC/SC stack: K001 and K002 each read a vpcd slot of the private pcscd,
 * Mosquitto between them and the gateway, the biller simulator over HTTP. The card leaves K001's field while DEBIT FOR
 * PURCHASE is on its way and is not brought back in K001's second; K001's fee ends `undecided`, the gateway's stays
 * `mac1-issued`. At K002 the card's offline counter decides. Figures from config/embedded.json: 张三's card holds
 * 10.00 and is issued with offline counter 0; dorm-power room 3402 is 张三's.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';
import type { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { brokers } from '../support/brokers.ts';
import { claimVpcdSlot, emptySlot, startPcscTestSystem } from '../support/pcsc.ts';
import { ZHANG } from '../support/torn-load.ts';

const mosquitto = brokers.find((b) => b.name === 'mosquitto')!;
const DEBIT_FOR_PURCHASE = 0x54;
const GET_TRANSACTION_PROVE = 0x5a;
const ORDER = { billerId: 'dorm-power', account: '3402', amount: 300 };
const FEE = 'K001-00000001';

async function tornAtK001(t: ExecutionContext, when: 'before' | 'after') {
  const mqtt = await mosquitto.start();
  t.teardown(() => mqtt.stop());
  const slot2 = await claimVpcdSlot();
  t.teardown(() => slot2.release());
  const { system, reader, connector } = await startPcscTestSystem(t, {
    mqttUrl: mqtt.url, kioskIds: ['K001', 'K002'], edit: (c) => void (c.limits.rePresentSeconds = 1),
    editKiosk: (id, k) => void (id === 'K002' && (k.board.reader = { backend: 'pcsc', name: slot2.readerName })),
  });
  const k002 = system.kiosks.get('K002')!.kiosk;
  const reader2 = k002.reader as PcscCardReader;
  const connector2 = new VpcdConnector({ port: slot2.port });
  t.teardown(() => emptySlot(reader2, connector2));
  const k001 = system.kiosks.get('K001')!.kiosk;
  const card = system.cards.get(ZHANG.asn)!;

  const seen = once(reader, 'present');
  await connector.insert(card);
  await seen;
  const session = await k001.openSession();
  // The card leaves the field with the debit (applied first, or not), and is not brought back to K001.
  void connector.tear({ ins: DEBIT_FOR_PURCHASE, when, how: 'fin' });
  const undecided = await k001.fee(session, ORDER);
  t.like(undecided, { txnId: FEE, state: 'undecided' });
  t.like(await system.gateway.fees.fees.require(FEE), { state: 'mac1-issued', offlineCounter: 0 });
  t.is(system.billers.received('dorm-power', '3402'), 0);

  /** The card's next tap, at K002 (once K002 saw it go, when it was there): a session there. */
  const tapAtK002 = async () => {
    if (reader2.cardPresent) await once(reader2, 'absent');
    const present = once(reader2, 'present');
    await connector2.insert(card);
    await present;
    return k002.openSession();
  };
  return { system, k001, k002, card, connector2, tapAtK002 };
}

test('the debit had applied: at the next tap at another kiosk its proof pays the biller, once', async (t) => {
  const { system, k001, k002, card, tapAtK002 } = await tornAtK001(t, 'after');
  t.like(card.state(), { balance: 700, offlineCounter: 1 }, 'the card applied the debit before leaving');

  const session = await tapAtK002();
  t.deepEqual(session.account.feesInDoubt, [{ txnId: FEE, billerId: 'dorm-power', amount: 300, offlineCounter: 0 }]);
  // No purchase passes it: the next one would move the counter that decides it and replace its proof.
  await t.throwsAsync(k002.fee(session, ORDER), { code: 'FEE_IN_DOUBT' });

  const { outcomes, session: after } = await k002.decideFees(session);
  t.deepEqual(outcomes, [{ txnId: 'K002-00000001', feeId: FEE, state: 'paid', amount: 300, receiptNo: 'R00000001' }]);
  t.deepEqual(after.account.feesInDoubt, []);
  t.is(after.balance, 700);
  t.like(card.state(), { balance: 700, offlineCounter: 1 }, 'debited once');
  t.is(system.billers.received('dorm-power', '3402'), 300);
  t.is(system.billers.payments().length, 1);
  const fee = await system.gateway.fees.fees.require(FEE);
  t.like(fee, { state: 'paid', kioskId: 'K001', decidedBy: 'K002', tac: card.state().proofs.find((p) => p.type === 0x06)!.tac });
  t.deepEqual(fee.history.map((h) => h.state), ['mac1-issued', 'debited', 'paying', 'paid']);
  t.like(await system.gateway.ledger.transfer(FEE), { amount: 300, from: 'purse', to: 'biller:dorm-power', status: 'final' });
  t.deepEqual((await k002.journal.feeChecks.require('K002-00000001')).history.map((h) => h.state), ['checking', 'confirming', 'paid']);
  t.like(await k001.journal.fees.require(FEE), { state: 'undecided' }, 'K001 keeps what it saw; the gateway holds the decision');

  // Repeated (a recovery whose answer was lost), the confirm answers the same and pays nothing more.
  const rec = await k002.journal.feeChecks.require('K002-00000001');
  t.like(await k002.link.request('fee.confirm', { txnId: FEE, tac: rec.tac!, mac2: rec.mac2! }), { state: 'paid', receiptNo: 'R00000001' });
  t.is(system.billers.payments().length, 1);
});

test('the debit never reached the card: at the next tap at another kiosk the fee ends with nothing moved, and the card pays again', async (t) => {
  const { system, k002, card, tapAtK002 } = await tornAtK001(t, 'before');
  t.like(card.state(), { balance: 1000, offlineCounter: 0 });

  const session = await tapAtK002();
  t.deepEqual(session.account.feesInDoubt, [{ txnId: FEE, billerId: 'dorm-power', amount: 300, offlineCounter: 0 }]);
  // The gateway refuses a new purchase of the card until then, whichever kiosk asks.
  await t.throwsAsync(k002.link.request('fee.begin', {
    txnId: 'K002-direct', asn: ZHANG.asn, ...ORDER, terminalId: '000000000002',
    card: { balance: 1000, offlineCounter: 0, keyVersion: 1, algId: 0, random: '00000000' },
  }), { code: 'FEE_IN_DOUBT' });

  const { outcomes, session: after } = await k002.decideFees(session);
  t.deepEqual(outcomes, [{ txnId: 'K002-00000001', feeId: FEE, state: 'not-debited', amount: 300 }]);
  t.deepEqual(after.account.feesInDoubt, []);
  t.like(card.state(), { balance: 1000, offlineCounter: 0 });
  t.like(await system.gateway.fees.fees.require(FEE), { state: 'not-debited', decidedBy: 'K002' });
  t.is(await system.gateway.ledger.transfer(FEE), undefined);
  t.deepEqual(system.billers.payments(), []);

  // Nothing in doubt now: a fee at K002 is paid as any.
  t.like(await k002.fee(after, ORDER), { txnId: 'K002-00000002', state: 'completed', cardAfter: 700 });
  t.like(card.state(), { balance: 700, offlineCounter: 1 });
  t.is(system.billers.received('dorm-power', '3402'), 300);
});

test('a card that leaves again while its proof is read decides nothing at that tap: the fee stays in doubt for the next one', async (t) => {
  const { system, k002, card, connector2, tapAtK002 } = await tornAtK001(t, 'after');
  const session = await tapAtK002();
  void connector2.tear({ ins: GET_TRANSACTION_PROVE, when: 'before', how: 'fin' });
  const { outcomes } = await k002.decideFees(session);
  t.like(outcomes, [{ txnId: 'K002-00000001', feeId: FEE, state: 'not-decided' }]);
  t.like(await system.gateway.fees.fees.require(FEE), { state: 'mac1-issued' });
  t.is(system.billers.received('dorm-power', '3402'), 0);

  const again = await tapAtK002();
  t.deepEqual(again.account.feesInDoubt, [{ txnId: FEE, billerId: 'dorm-power', amount: 300, offlineCounter: 0 }]);
  t.like((await k002.decideFees(again)).outcomes, [{ txnId: 'K002-00000002', feeId: FEE, state: 'paid' }]);
  t.like(card.state(), { balance: 700, offlineCounter: 1 });
  t.is(system.billers.received('dorm-power', '3402'), 300);
  t.is(system.billers.payments().length, 1);
});
