/**
 * 查询 showing every kind of campus record for one card, every money step through the real stack: the card behind the
 * private pcscd + vpcd at K001, the kiosks and the gateway on Mosquitto. The card's history: a load at K002 whose card
 * left mid-credit (parked as a pending load, K002 on the in-process field for the tear), written at K001 (collect); a
 * load at K001; a subsidy the campus issued, collected; a batch transfer approved, collected; a fee the biller refused,
 * refunded at once. Figures: config/embedded.json (张三's card 10.00, PIN 123456; dorm-power room 3402 is his).
 */
import test from 'ava';
import { brokers } from '../support/brokers.ts';
import { startPcscTestSystem, tapAgain } from '../support/pcsc.ts';
import { startTornLoad, ZHANG } from '../support/torn-load.ts';

const mosquitto = brokers.find((b) => b.name === 'mosquitto')!;

test('mosquitto + pcscd: one query lists a load, a collect, a subsidy, a transfer, a fee and its refund, newest first', async (t) => {
  const mqtt = await mosquitto.start();
  t.teardown(() => mqtt.stop());
  const { system, reader, connector } = await startPcscTestSystem(t, {
    mqttUrl: mqtt.url, kioskIds: ['K001', 'K002'],
    edit: (c) => void (c.limits.rePresentSeconds = 1),
    editKiosk: (id, k) => void (id === 'K002' && (k.board.reader = { backend: 'sim' })),
  });
  const card = system.cards.get(ZHANG.asn)!;
  const { kiosk, keypad } = system.kiosks.get('K001')!;
  /** The card taken off K001's reader if it is there, then put on again: a new tap and a new session. */
  const tap = async () => {
    await tapAgain(reader, connector, card);
    return kiosk.openSession();
  };

  const parked = await (await startTornLoad(system, 'K002', 3000, 'before')).outcome;
  t.like(parked, { state: 'pending-load', amount: 3000 });
  system.kiosks.get('K002')!.reader!.remove();

  let session = await tap();
  t.like(await kiosk.collect(session), [{ pendingId: parked.txnId, state: 'completed', cardAfter: 4000 }]);

  session = await tap();
  keypad.once('entry', () => {
    keypad.type(ZHANG.pin);
    keypad.enter();
  });
  const load = await kiosk.load(session, 2000);
  t.like(load, { state: 'completed', cardAfter: 6000 });

  const { lines: [subsidy] } = await system.gateway.subsidies.issue({ account: '2023010001', amount: '15.00', reason: '伙食补助', period: '2026-12', expires: '2099-12-31' });
  session = await tap();
  t.like(await kiosk.collect(session), [{ pendingId: subsidy!.creditId, source: 'subsidy', state: 'completed', cardAfter: 7500 }]);

  await system.gateway.transfers.orders.add({ campusAccount: '2023010001', amount: 8000, rule: { kind: 'monthly', day: 1 } });
  t.like(await system.gateway.transfers.run('test'), [{ approved: { count: 1, amount: 8000 } }]);
  const [transfer] = await system.gateway.transfers.transfers.all();
  session = await tap();
  t.like(await kiosk.collect(session), [{ pendingId: transfer!.id, source: 'transfer', state: 'completed', cardAfter: 15_500 }]);

  system.billers.refuseNext('meter-locked');
  session = await tap();
  const fee = await kiosk.fee(session, { billerId: 'dorm-power', account: '3402', amount: 300 });
  t.like(fee, { state: 'refund-owed', refund: { state: 'completed', cardAfter: 15_500 } });
  t.like(card.state(), { balance: 15_500 });

  const records = await kiosk.link.request('records.query', { asn: ZHANG.asn, page: 1, pageSize: 10 });
  t.deepEqual(records.items.map(({ txnId, kind, amount, state, kioskId }) => ({ txnId, kind, amount, state, kioskId })), [
    { txnId: `${fee.txnId}-refund`, kind: 'fee-refund', amount: 300, state: 'done', kioskId: 'K001' },
    { txnId: fee.txnId, kind: 'fee', amount: 300, state: 'refused', kioskId: 'K001' },
    { txnId: transfer!.id, kind: 'transfer', amount: 8000, state: 'done', kioskId: 'K001' },
    { txnId: subsidy!.creditId, kind: 'subsidy', amount: 1500, state: 'done', kioskId: 'K001' },
    { txnId: load.txnId, kind: 'load', amount: 2000, state: 'done', kioskId: 'K001' },
    { txnId: parked.txnId, kind: 'collect', amount: 3000, state: 'done', kioskId: 'K001' },
    { txnId: parked.txnId, kind: 'load', amount: 3000, state: 'done', kioskId: 'K002' },
  ]);
  t.true(records.items.every((i) => i.card === '310300**********0001'), 'the card masked');
  t.deepEqual(records.pending, []);
  await session.channel.close();
});
