/**
 * A batch transfer run on the running gateway, with the embedded bank simulator over TCP: 张三's standing order is
 * approved without a PIN (his account carries a standing agreement in config/embedded.json) and becomes a credit his
 * card is owed; his next tap at a kiosk writes it (the 领款 flow, TAC verified), once; the bank debited it once. The
 * kiosk reads the card through the real pcscd + vpcd and reaches the gateway through Mosquitto.
 * Figures: config/embedded.json (张三's card holds 10.00, his bank account 5000.00).
 */
import test from 'ava';
import { once } from 'node:events';
import { brokers } from '../support/brokers.ts';
import { startPcscTestSystem } from '../support/pcsc.ts';
import { ZHANG } from '../support/torn-load.ts';

const mosquitto = brokers.find((b) => b.name === 'mosquitto')!;

test('mosquitto + pcscd: an approved standing transfer is written onto the card at its next tap, once, and the bank debited it once', async (t) => {
  const mqtt = await mosquitto.start();
  t.teardown(() => mqtt.stop());
  const { system, reader, connector } = await startPcscTestSystem(t, { mqttUrl: mqtt.url });
  const { transfers } = system.gateway;
  await transfers.orders.add({ campusAccount: '2023010001', amount: 8000, rule: { kind: 'monthly', day: 1 } });
  const [summary] = await transfers.run('test');
  t.like(summary, { planned: 1, approved: { count: 1, amount: 8000 }, declined: 0, reversing: 0 });
  const [record] = await transfers.transfers.all();
  t.like(record, { state: 'credit-owed', amount: 8000 });
  t.is(system.bank.balanceOf(ZHANG.pan), 500_000 - 8000);

  const { kiosk } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;
  const tap = async () => {
    const seen = once(reader, 'present');
    await connector.insert(card);
    await seen;
    return kiosk.openSession();
  };
  const session = await tap();
  t.like(session.account.pendingLoads, [{ pendingId: record!.id, source: 'transfer', amount: 8000 }]);
  const [collected] = await kiosk.collect(session);
  await session.channel.close();
  t.like(collected, { state: 'completed', source: 'transfer', tacVerified: true, cardAfter: 9000 });
  t.like(card.state(), { balance: 9000 });
  t.like(await system.gateway.credits.credits.require(record!.id), { state: 'completed', source: 'transfer' });
  t.like(await system.gateway.ledger.posting(record!.id), { amount: 8000, status: 'final', source: 'transfer' });

  const gone = once(reader, 'absent');
  await connector.remove();
  await gone;
  const again = await tap();
  await again.channel.close();
  t.deepEqual(again.account.pendingLoads, [], 'the second tap is owed nothing');
  t.is(again.balance, 9000);
  t.like(await transfers.run('test'), [{ planned: 0 }], 'the order had its transfer this month');
  t.is(system.bank.balanceOf(ZHANG.pan), 500_000 - 8000, 'debited once');
});
