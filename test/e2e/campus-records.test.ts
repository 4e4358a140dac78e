/**
 * 查询 through a real Mosquitto: loads at K002 (one of them parked as a pending load when the card left mid-credit),
 * the pending load written at the next tap at K001 (its receipt's QR carrying the collect's id), then the cardholder at
 * K001 pages through the campus records: newest first, loads and the collect with their amounts, kiosks and states.
 * A kiosk that did not just look a card up is refused and nothing moves. Then the same on a card behind the private
 * pcscd and vpcd: the card's own records read over PC/SC, the campus records beside them. Figures: config/embedded.json.
 */
import test from 'ava';
import { once } from 'node:events';
import type { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';
import { claimVpcdSlot, emptySlot } from '../support/pcsc.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { drawnTexts, startTestScreens, touch, waitForScreen, waitForView } from '../support/kiosk-screens.ts';
import { startMosquitto } from '../support/mosquitto.ts';
import { LI_ASN, startTornLoad, ZHANG } from '../support/torn-load.ts';

test('a card\'s loads and collect on the kiosk\'s campus-records screens, paged, newest first; another card is refused', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const system = await startTestSystem(t, { mqttUrl: broker.url, kioskIds: ['K001', 'K002'], edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const k002 = system.kiosks.get('K002')!;
  const card = system.cards.get(ZHANG.asn)!;

  // 20.00, 10.00 and 5.00 loaded at K002; then 30.00 whose credit the card never saw: a pending load.
  for (const amount of [2000, 1000, 500]) {
    t.like(await loadAt(system, 'K002', ZHANG, amount), { state: 'completed', amount });
    k002.reader!.remove();
  }
  const parked = await (await startTornLoad(system, 'K002', 3000, 'before')).outcome;
  t.like(parked, { state: 'pending-load', amount: 3000 });
  t.like(card.state(), { balance: 1000 + 3500 });

  // K002 looked the card up: it may read its records, the card masked; it never looked Li's card up.
  const asked = await k002.kiosk.link.request('records.query', { asn: ZHANG.asn, page: 1, pageSize: 10 });
  t.like(asked, { total: 4, page: 1, pageSize: 10 });
  t.deepEqual(asked.pending, [{ txnId: parked.txnId, kind: 'load', amount: 3000, since: asked.pending[0]!.since, kioskId: 'K002' }]);
  t.true(asked.items.every((i) => i.card === '310300**********0001'));
  const bankBefore = system.bank.balanceOf(ZHANG.pan);
  await t.throwsAsync(k002.kiosk.link.request('records.query', { asn: LI_ASN, page: 1, pageSize: 10 }), { code: 'QUERY_CARD_NOT_PRESENTED' });
  await t.throwsAsync(system.kiosks.get('K001')!.kiosk.link.request('records.query', { asn: ZHANG.asn, page: 1, pageSize: 10 }),
    { code: 'QUERY_CARD_NOT_PRESENTED' }, 'K002\'s lookup opens nothing at K001');
  t.is(system.bank.balanceOf(ZHANG.pan), bankBefore, 'a refused query moves nothing');

  // At K001 the tap writes the pending load; the receipt's QR carries the collect's own id.
  const screens = await startTestScreens(t, system);
  const { reader } = system.kiosks.get('K001')!;
  await waitForScreen(screens.ui, 'idle');
  reader!.insert(card);
  const { view: result } = await waitForScreen(screens.ui, 'result');
  t.like(result.result, { ok: true, operation: 'collect', amount: 3000, newBalance: 7500 });
  touch(screens, 'result.ok');
  const { view: receipt } = await waitForScreen(screens.ui, 'receipt');
  const [collect] = await system.kiosks.get('K001')!.kiosk.journal.collects.all();
  t.is(receipt.receipt!.qrPayload, collect!.id);
  t.regex(collect!.id, /^K001-/);
  touch(screens, 'receipt.skip');
  await waitForScreen(screens.ui, 'idle');

  // Tapped again: 查询, then the campus account's records.
  reader!.remove();
  reader!.insert(card);
  await waitForScreen(screens.ui, 'card');
  touch(screens, 'card.continue');
  await waitForScreen(screens.ui, 'menu');
  touch(screens, 'menu.records');
  await waitForScreen(screens.ui, 'records');
  touch(screens, 'records.campus');
  const first = await waitForView(screens.ui, (v) => v.screen === 'campus-records' && v.campusRecords?.page === 1, 'page 1');
  const rows = (items: NonNullable<typeof first.view.campusRecords>['items']) => items.map((i) => [i.kind, i.amount, i.place, i.state]);
  t.like(first.view.campusRecords, { page: 1, pages: 2, owed: { count: 0, amount: 0 } });
  t.deepEqual(rows(first.view.campusRecords!.items), [
    ['collect', 3000, 'K001', 'done'],
    ['load', 3000, 'K002', 'done'],
    ['load', 500, 'K002', 'done'],
    ['load', 1000, 'K002', 'done'],
  ]);
  t.true(first.view.campusRecords!.items.every((i) => /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}$/.test(i.time)));
  const texts = drawnTexts(first.report);
  for (const text of ['领款', '圈存', '成功', '¥30.00', 'K001', 'K002', '账户记录（第 1/2 页）']) t.true(texts.includes(text), text);
  t.false(texts.some((s) => s.includes(ZHANG.asn)), 'no full card number on screen');

  touch(screens, 'campus.next');
  const second = await waitForView(screens.ui, (v) => v.screen === 'campus-records' && v.campusRecords?.page === 2, 'page 2');
  t.deepEqual(rows(second.view.campusRecords!.items), [['load', 2000, 'K002', 'done']]);
  touch(screens, 'campus.prev');
  await waitForView(screens.ui, (v) => v.screen === 'campus-records' && v.campusRecords?.page === 1, 'page 1 again');
  touch(screens, 'footer.back');
  await waitForScreen(screens.ui, 'menu');
  t.like(card.state(), { balance: 7500 }, 'queries moved nothing');
});

test('on pcscd and vpcd: a load, then 查询 shows the card\'s own record and the campus account\'s beside it', async (t) => {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const slot = await claimVpcdSlot();
  t.teardown(() => slot.release());
  const system = await startTestSystem(t, { mqttUrl: broker.url, pcscReader: slot.readerName });
  const { kiosk, keypad } = system.kiosks.get('K001')!;
  const reader = kiosk.reader as PcscCardReader;
  const connector = new VpcdConnector({ port: slot.port });
  t.teardown(() => emptySlot(reader, connector));
  const card = system.cards.get(ZHANG.asn)!;

  const present = once(reader, 'present');
  await connector.insert(card);
  await present;
  keypad.once('entry', () => {
    keypad.type(ZHANG.pin);
    keypad.enter();
  });
  t.like(await kiosk.load(await kiosk.openSession(), 5000), { state: 'completed', txnId: 'K001-00000001' });
  await emptySlot(reader, connector);

  const screens = await startTestScreens(t, system);
  await waitForScreen(screens.ui, 'idle');
  await connector.insert(card);
  await waitForScreen(screens.ui, 'card');
  touch(screens, 'card.continue');
  await waitForScreen(screens.ui, 'menu');
  touch(screens, 'menu.records');
  const { view: own } = await waitForScreen(screens.ui, 'records');
  t.like(own.records, [{ kind: 'load', amount: 5000, place: '000000000001' }], 'the card\'s own record, read over PC/SC');
  touch(screens, 'records.campus');
  const { view: campus } = await waitForScreen(screens.ui, 'campus-records');
  t.deepEqual(campus.campusRecords!.items.map((i) => [i.kind, i.amount, i.place, i.state]), [['load', 5000, 'K001', 'done']]);
  t.like(campus.campusRecords, { page: 1, pages: 1, owed: { count: 0, amount: 0 } });
  t.like(card.state(), { balance: 6000 });
});
