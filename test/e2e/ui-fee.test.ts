/**
 * 缴费 through the kiosk screens on the embedded default: every choice a touch at a widget of the drawn screen, the
 * room typed on the screen's keypad. What the screens say is checked against the card, the biller simulator and the
 * printed receipt. From config/embedded.json: 张三's card holds ¥10.00; dorm-power room 3402 is 张三's, 东区3号楼402.
 */
import test from 'ava';
import { once } from 'node:events';
import type { PrintedReceipt } from '../../sim/printer/escpos-emulator.ts';
import { receiptText } from '../../sim/printer/render.ts';
import { startTestSystem } from '../support/kiosk-system.ts';
import { drawnTexts, startTestScreens, touch, waitForScreen, waitForView } from '../support/kiosk-screens.ts';
import { ZHANG } from '../support/torn-load.ts';

async function toRoomEntry(t: import('ava').ExecutionContext, rePresentSeconds?: number) {
  const system = await startTestSystem(t, rePresentSeconds ? { edit: (c) => void (c.limits.rePresentSeconds = rePresentSeconds) } : {});
  const screens = await startTestScreens(t, system);
  const { ui } = screens;
  await waitForScreen(ui, 'idle');
  system.kiosks.get('K001')!.reader!.insert(system.cards.get(ZHANG.asn)!);
  await waitForScreen(ui, 'card');
  touch(screens, 'card.continue');
  await waitForScreen(ui, 'menu');
  touch(screens, 'menu.fees');
  const { view } = await waitForScreen(ui, 'fees');
  t.deepEqual(view.fees?.map((f) => f.id), ['dorm-power', 'campus-net']);
  touch(screens, 'fees.dorm-power');
  await waitForScreen(ui, 'fee-account');
  const typeRoom = async (room: string) => {
    for (const digit of room) touch(screens, `fee-account.keypad.${digit}`);
    await waitForView(ui, (v) => v.feeAccount?.entered === room, `room ${room} typed`);
    touch(screens, 'fee-account.keypad.ok');
  };
  return { system, screens, ui, card: system.cards.get(ZHANG.asn)!, typeRoom };
}

test('a fee by touches: the room looked up and confirmed, ¥10.00 paid, the balance shown is the card\'s, the receipt printed', async (t) => {
  const { system, screens, ui, card, typeRoom } = await toRoomEntry(t);
  await typeRoom('3402');
  const { view: amountView, report } = await waitForView(ui, (v) => v.screen === 'amount' && v.amount?.operation === 'fee', 'the fee amount');
  t.like(amountView.amount, { payee: '张三 · 东区3号楼402', maxLoad: 50_000 });
  t.true(drawnTexts(report).some((text) => text.includes('东区3号楼402')), 'the room is shown for confirmation');
  // ¥20.00 and up are more than the card holds: offered but not touchable.
  t.throws(() => touch(screens, 'amount.presets.2000'), { message: /disabled/ });

  touch(screens, 'amount.presets.1000');
  const { view: resultView } = await waitForScreen(ui, 'result');
  t.like(resultView.result, { ok: true, operation: 'fee', amount: 1000, newBalance: 0 });
  t.is(card.state().balance, 0, 'the card holds what the result screen says');
  t.is(system.billers.received('dorm-power', '3402'), 1000);

  touch(screens, 'result.ok');
  await waitForScreen(ui, 'receipt');
  const printed = once(system.kiosks.get('K001')!.printer.device, 'receipt') as Promise<[PrintedReceipt]>;
  touch(screens, 'receipt.print');
  const text = receiptText((await printed)[0], 32);
  t.regex(text, /缴费凭条/);
  t.regex(text, /R00000001/);
  t.regex(text, /K001-00000001/);
});

test('an unknown room and a biller down are refused on the keypad with their code, and nothing moves', async (t) => {
  const { system, screens, ui, card, typeRoom } = await toRoomEntry(t);
  await typeRoom('9999');
  const { view } = await waitForView(ui, (v) => v.feeAccount?.error !== undefined, 'the refusal');
  t.like(view.feeAccount, { entered: '9999', error: 'BILLER_ACCOUNT_UNKNOWN' });
  await system.billers.down();
  for (let i = 0; i < 4; i++) touch(screens, 'fee-account.keypad.del');
  await waitForView(ui, (v) => v.feeAccount?.entered === '', 'the room cleared');
  await typeRoom('3402');
  const { view: down, report } = await waitForView(ui, (v) => v.feeAccount?.error === 'BILLER_UNAVAILABLE', 'the biller down');
  t.is(down.feeAccount?.entered, '3402');
  t.true(drawnTexts(report).some((text) => text.includes('缴费单位暂时无法连接')), 'the code\'s text is drawn');
  t.like(card.state(), { balance: ZHANG.card, offlineCounter: 0 });
  t.deepEqual(system.billers.payments(), []);
  t.deepEqual(await system.gateway.fees.fees.all(), []);
});

test('a fee torn and left undecided is decided by the card at its next tap, before the card screen: the biller paid once', async (t) => {
  const { system, screens, ui, card, typeRoom } = await toRoomEntry(t, 1);
  const { reader } = system.kiosks.get('K001')!;
  await typeRoom('3402');
  await waitForView(ui, (v) => v.screen === 'amount' && v.amount?.operation === 'fee', 'the fee amount');
  // DEBIT FOR PURCHASE applies and the card leaves before its answer; it is not brought back in the second asked.
  void reader!.tear({ ins: 0x54, when: 'after' });
  touch(screens, 'amount.presets.1000');
  await waitForScreen(ui, 're-present');
  const { view: undecided } = await waitForScreen(ui, 'result');
  t.like(undecided.result, { ok: false, operation: 'fee' });
  touch(screens, 'result.ok');
  await waitForScreen(ui, 'idle');
  t.like(await system.gateway.fees.fees.require('K001-00000001'), { state: 'mac1-issued' });
  t.like(await system.kiosks.get('K001')!.kiosk.journal.fees.require('K001-00000001'), { state: 'undecided' });
  t.is(system.billers.received('dorm-power', '3402'), 0);

  reader!.insert(card);
  const { view } = await waitForScreen(ui, 'card');
  t.like(view.card, { balance: 0 });
  t.deepEqual(await system.gateway.fees.inDoubt(ZHANG.asn), []);
  t.like(await system.gateway.fees.fees.require('K001-00000001'), { state: 'paid' });
  t.like(await system.kiosks.get('K001')!.kiosk.journal.feeChecks.require('K001-00000002'), { state: 'paid', feeId: 'K001-00000001' });
  t.is(system.billers.received('dorm-power', '3402'), 1000);
  t.is(card.state().balance, 0);
});
