/**
 * 补助领取 on every real part this machine has: a subsidy batch imported at the gateway, the card on vpcd behind the
 * private pcscd, a real Mosquitto between the kiosk and the gateway, LevelDB on disk. The cardholder collects through
 * the kiosk screens (menu → 补助领取 → the subsidy's 领取); the second tap finds nothing to collect; a subsidy past its
 * expiry is not offered, refused if asked for directly, and counted back to the campus in the report.
 * Figures: config/embedded.json (张三's card holds 10.00, purse limit 2000.00) and the batch below.
 */
import test from 'ava';
import { once } from 'node:events';
import type { PrintedReceipt } from '../../sim/printer/escpos-emulator.ts';
import { receiptText } from '../../sim/printer/render.ts';
import type { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { claimVpcdSlot, emptySlot } from '../support/pcsc.ts';
import { startTestSystem } from '../support/kiosk-system.ts';
import { startTestScreens, touch, waitForScreen, waitForView } from '../support/kiosk-screens.ts';
import { ZHANG } from '../support/torn-load.ts';

const BATCH = [
  'account,amount,reason,period,expires',
  '2023010001,150.00,伙食补助,2026-11,2099-12-31',
  '2023010001,30.00,交通补助,2026-11,2099-06-30',
  '2023010003,20.50,伙食补助,2026-11,2099-12-31',
].join('\r\n');

test('mosquitto + pcscd: a subsidy batch collected at the kiosk once, the second tap collects nothing, the expired one goes back to the campus', async (t) => {
  const mqtt = await startMosquitto();
  t.teardown(() => mqtt.stop());
  const slot = await claimVpcdSlot();
  t.teardown(() => slot.release());
  // The gateway's clock: real until the test moves it past the second line's expiry.
  let clock: number | null = null;
  const system = await startTestSystem(t, { mqttUrl: mqtt.url, pcscReader: slot.readerName, gatewayNow: () => new Date(clock ?? Date.now()) });
  const { kiosk, printer } = system.kiosks.get('K001')!;
  const connector = new VpcdConnector({ port: slot.port });
  t.teardown(() => emptySlot(kiosk.reader as PcscCardReader, connector));
  const screens = await startTestScreens(t, system);
  const card = system.cards.get(ZHANG.asn)!;

  const batch = await system.gateway.subsidies.import(BATCH, 'november.csv');
  t.is(batch.lines.length, 3);
  const [meals, transport] = batch.lines.map((l) => l.creditId) as [string, string, string];
  await t.throwsAsync(system.gateway.subsidies.import(BATCH), { code: 'SUBSIDY_BATCH_DUPLICATE' });

  // 2099-07-01 00:00 in Asia/Shanghai: the transport subsidy's last day has ended; the timer's work is done here.
  clock = Date.parse('2099-06-30T16:00:00Z');
  const expired = await system.gateway.credits.expireDue();
  t.deepEqual(expired.map((c) => c.id), [transport]);

  await waitForScreen(screens.ui, 'idle');
  await connector.insert(card);
  await waitForScreen(screens.ui, 'card');
  t.like(card.state(), { balance: 1000, onlineCounter: 0 }, 'a subsidy is not written at the tap: the cardholder picks it');
  touch(screens, 'card.continue');
  const { view: menu } = await waitForScreen(screens.ui, 'menu');
  t.deepEqual(menu.pending?.map((p) => [p.id, p.kind, p.amount, p.label]), [[meals, 'subsidy', 15_000, '伙食补助 2026-11']]);
  // 查询 at this tap: the subsidy is owed, issued by the campus (no kiosk); the expired one is not owed any more.
  const before = await kiosk.link.request('records.query', { asn: ZHANG.asn, page: 1, pageSize: 10 });
  t.deepEqual(before.pending.map(({ txnId, kind, amount, kioskId }) => ({ txnId, kind, amount, kioskId })),
    [{ txnId: meals, kind: 'subsidy', amount: 15_000, kioskId: undefined }]);
  touch(screens, 'menu.collect');
  await waitForScreen(screens.ui, 'pending');
  touch(screens, `pending.${meals}.collect`);
  const { view: result } = await waitForScreen(screens.ui, 'result');
  t.like(result.result, { ok: true, operation: 'subsidy', amount: 15_000, newBalance: 16_000 });
  t.like(card.state(), { balance: 16_000, onlineCounter: 1 }, 'the card holds the subsidy');
  t.like(await system.gateway.ledger.posting(meals), { campusAccount: '2023010001', amount: 15_000, status: 'final', source: 'subsidy' });
  t.like(await system.gateway.credits.credits.require(meals), { state: 'completed', collector: 'K001', newBalance: 16_000, onlineCounter: 0 });
  t.is(system.bank.log.filter((e) => e.mti === '0200').length, 0, 'no transfer asked of the bank: the campus funds a subsidy');

  // The receipt says 补助.
  touch(screens, 'result.ok');
  await waitForScreen(screens.ui, 'receipt');
  const printed = once(printer.device, 'receipt') as Promise<[PrintedReceipt]>;
  touch(screens, 'receipt.print');
  const [receipt] = await printed;
  t.regex(receiptText(receipt, 32), /补助领取凭条/);
  t.regex(receiptText(receipt, 32), /150\.00/);

  // The second tap: nothing is owed any more.
  await emptySlot(kiosk.reader as PcscCardReader, connector);
  await waitForScreen(screens.ui, 'idle');
  await connector.insert(card);
  await waitForScreen(screens.ui, 'card');
  touch(screens, 'card.continue');
  const { view: again } = await waitForScreen(screens.ui, 'menu');
  t.deepEqual(again.pending, []);
  touch(screens, 'menu.collect');
  const { view: none } = await waitForScreen(screens.ui, 'pending');
  t.deepEqual(none.pending, []);
  t.like(card.state(), { balance: 16_000, onlineCounter: 1 });

  // The expired one, asked for by id as a kiosk would: refused before any MAC2, nothing moves.
  const session = await kiosk.openSession();
  t.deepEqual(session.account.pendingLoads, []);
  const [refused] = await kiosk.collect(session, [{ pendingId: transport, source: 'subsidy', amount: 3000 }]);
  t.like(refused, { state: 'not-collected', code: 'SUBSIDY_EXPIRED' });
  await session.channel.close();
  t.like(card.state(), { balance: 16_000, onlineCounter: 1 });
  t.like(await system.gateway.ledger.posting(transport), { amount: 3000, status: 'expired', source: 'subsidy' });
  // 查询 lists the subsidy written at K001, done; the expired one never reached the card and is no record.
  const after = await kiosk.link.request('records.query', { asn: ZHANG.asn, page: 1, pageSize: 10 });
  t.deepEqual(after.items.map(({ txnId, kind, amount, state, kioskId }) => ({ txnId, kind, amount, state, kioskId })),
    [{ txnId: meals, kind: 'subsidy', amount: 15_000, state: 'done', kioskId: 'K001' }]);
  t.deepEqual(after.pending, []);

  const report = await system.gateway.subsidies.report();
  t.deepEqual(report.total, {
    issued: { count: 3, amount: 20_050 },
    collected: { count: 1, amount: 15_000 },
    outstanding: { count: 1, amount: 2050 },
    held: { count: 0, amount: 0 },
    expired: { count: 1, amount: 3000 },
    balanced: true,
  });
  t.like(report.batches[0], { batchId: batch.batchId, file: 'november.csv', balanced: true });
});
