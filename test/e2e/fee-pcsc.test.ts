/**
 * 缴费 through every real part this machine has: the virtual card on vpcd behind the private pcscd, Mosquitto, the
 * gateway's key store as the PSAM, the biller simulator over HTTP on loopback, and LevelDB on disk. Figures from
 * config/embedded.json: 张三's card holds 10.00; dorm-power room 3402 is 张三's, 东区3号楼402.
 */
import test, { type ExecutionContext } from 'ava';
import { brokers } from '../support/brokers.ts';
import { startPcscTestSystem, tapAgain } from '../support/pcsc.ts';
import { reportReached } from '../support/kiosk-system.ts';
import { ZHANG } from '../support/torn-load.ts';
import { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { getBalance } from '../../runtime/card/purse.ts';

const mosquitto = brokers.find((b) => b.name === 'mosquitto')!;

async function zhangAtK001(t: ExecutionContext) {
  const mqtt = await mosquitto.start();
  t.teardown(() => mqtt.stop());
  const { system, reader, connector } = await startPcscTestSystem(t, { mqttUrl: mqtt.url });
  const { kiosk } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  // In the field, and seen there by the kiosk's reader.
  await tapAgain(reader, connector, card);
  return { system, kiosk, card, reader, connector, session: await kiosk.openSession() };
}

test('a 3.00 dorm-power fee: the purse debited, the biller paid, the ledger posted, the TAC verified', async (t) => {
  const { system, kiosk, card, session } = await zhangAtK001(t);
  t.like(await kiosk.lookupFee('dorm-power', '3402'), { holder: '张三', room: '东区3号楼402', name: { zh: '宿舍电费', en: 'Dorm electricity' } });

  const outcome = await kiosk.fee(session, { billerId: 'dorm-power', account: '3402', amount: 300 });
  t.like(outcome, { txnId: 'K001-00000001', state: 'completed', amount: 300, cardBefore: 1000, cardAfter: 700, receiptNo: 'R00000001' });
  // The devices' and the biller's own accounts, not the kiosk's report of them.
  t.like(card.state(), { balance: 700, offlineCounter: 1 });
  t.is(system.billers.received('dorm-power', '3402'), 300);
  t.like(await system.gateway.ledger.transfer('K001-00000001'), { campusAccount: '2023010001', amount: 300, from: 'purse', to: 'biller:dorm-power', status: 'final' });
  const record = await system.gateway.fees.fees.require('K001-00000001');
  // `debited` is written only once the key store verified the card's MAC2 and TAC: the same TAC the kiosk read.
  t.deepEqual(record.history.map((h) => h.state), ['mac1-issued', 'debited', 'paying', 'paid']);
  t.is(record.tac, (await kiosk.journal.fees.require('K001-00000001')).tac);
  await reportReached(system.gateway, 'K001-00000001');
  t.like((await system.gateway.reports.all()).find((r) => r.event.txnId === 'K001-00000001')?.event, { kind: 'fee', state: 'completed', amount: 300 });
});

test('a biller that refuses after the debit: the amount is owed back and written to the card at once by the collect', async (t) => {
  const { system, kiosk, card, reader, connector, session } = await zhangAtK001(t);
  system.billers.refuseNext('meter-locked');
  const outcome = await kiosk.fee(session, { billerId: 'dorm-power', account: '3402', amount: 300 });
  t.like(outcome, { state: 'refund-owed', code: 'BILLER_REFUSED', refundId: 'K001-00000001-refund', cardAfter: 700 });
  t.like(outcome.refund, { pendingId: 'K001-00000001-refund', state: 'completed', tacVerified: true, cardAfter: 1000 });
  t.like(card.state(), { balance: 1000, offlineCounter: 1, onlineCounter: 1 });
  t.is(system.billers.received('dorm-power', '3402'), 0);
  t.like(await system.gateway.ledger.transfer('K001-00000001'), { status: 'undone', undoneBy: 'K001-00000001-refund' });
  // The refund is an owed credit the campus funds: its posting balances the fee's transfer undone.
  t.like(await system.gateway.ledger.posting('K001-00000001-refund'), { campusAccount: '2023010001', amount: 300, status: 'final', source: 'fee-refund' });
  t.like(await system.gateway.credits.credits.require('K001-00000001-refund'),
    { source: 'fee-refund', state: 'completed', onlineCounter: 0, oldBalance: 700, kioskId: 'K001', collector: 'K001' });
  // The refund was written on the fee's own session, which the caller (the screens) goes on using; once the caller
  // closes it the kiosk holds no card handle: another PC/SC client may take the card exclusively, which pcscd refuses
  // while any handle on it is open.
  t.is(await getBalance(session.channel), 1000);
  await session.channel.close();
  const other = new PcscCardReader({ readerName: reader.name, shareMode: 'exclusive' });
  t.teardown(() => other.stop());
  await other.start();
  await other.waitForCard();
  await (await other.connect()).close();
  // The next tap reads the card anew; nothing is left owed, and no bank was asked.
  await tapAgain(reader, connector, card);
  const next = await kiosk.openSession();
  t.like(next, { balance: 1000 });
  t.deepEqual(next.account.pendingLoads, []);
  await next.channel.close();
  // 查询 lists the fee the biller refused and its refund written back, newest first.
  const records = await kiosk.link.request('records.query', { asn: ZHANG.asn, page: 1, pageSize: 10 });
  t.deepEqual(records.items.map(({ txnId, kind, amount, state, kioskId }) => ({ txnId, kind, amount, state, kioskId })), [
    { txnId: 'K001-00000001-refund', kind: 'fee-refund', amount: 300, state: 'done', kioskId: 'K001' },
    { txnId: 'K001-00000001', kind: 'fee', amount: 300, state: 'refused', kioskId: 'K001' },
  ]);
  t.deepEqual(records.pending, []);
  t.is(system.bank.log.length, system.bank.log.filter((e) => e.mti === '0800').length, 'only sign-on with the bank');
});

test('refusals move nothing: unknown room, biller down, amount over the balance', async (t) => {
  const { system, kiosk, card, session } = await zhangAtK001(t);
  await t.throwsAsync(kiosk.lookupFee('dorm-power', '9999'), { code: 'BILLER_ACCOUNT_UNKNOWN' });
  t.like(await kiosk.fee(session, { billerId: 'dorm-power', account: '9999', amount: 300 }), { state: 'declined', code: 'BILLER_ACCOUNT_UNKNOWN' });
  await t.throwsAsync(kiosk.fee(session, { billerId: 'dorm-power', account: '3402', amount: 1001 }), { code: 'CARD_BALANCE_INSUFFICIENT' });
  await system.billers.down();
  await t.throwsAsync(kiosk.lookupFee('campus-net', '2023010001'), { code: 'BILLER_UNAVAILABLE' });
  t.like(await kiosk.fee(session, { billerId: 'campus-net', account: '2023010001', amount: 300 }), { state: 'declined', code: 'BILLER_UNAVAILABLE' });
  t.like(card.state(), { balance: 1000, offlineCounter: 0 });
  t.deepEqual(await system.gateway.fees.fees.all(), []);
  t.deepEqual(system.billers.payments(), []);
});
