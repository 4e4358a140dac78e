/**
 * A cardholder's load through the kiosk screens on the embedded default: the card tapped on the simulated reader, every
 * choice a touch at a widget of the drawn screen, the PIN typed on the simulated PIN pad's keys. What the result
 * screen says is checked against the card itself and the bank simulator.
 */
import test from 'ava';
import { once } from 'node:events';
import { ERROR_CODES } from '../../common/errors.ts';
import type { KioskView } from '../../screens/view-model.ts';
import type { PrintedReceipt } from '../../sim/printer/escpos-emulator.ts';
import { receiptText } from '../../sim/printer/render.ts';
import { startTestSystem } from '../support/kiosk-system.ts';
import { drawnTexts, startTestScreens, touch, touchToAmount, waitForScreen, waitForView } from '../support/kiosk-screens.ts';

// From config/embedded.json: 张三's card (balance ¥10.00) bound to bank account 6217…0018 (¥5000.00, PIN 123456);
// single-load limit ¥1000.00, purse limit ¥2000.00.
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', card: 1000, bank: 500_000, pin: '123456' };

test('a load from idle to result by touches: the new balance shown is the card\'s, the bank is debited by the amount, 查询 lists the load', async (t) => {
  const system = await startTestSystem(t);
  const screens = await startTestScreens(t, system);
  const { ui } = screens;
  const { reader, keypad, printer } = system.kiosks.get('K001')!;
  const card = system.cards.get(ZHANG.asn)!;

  await waitForScreen(ui, 'idle');
  reader!.insert(card);
  const { view: cardView } = await waitForScreen(ui, 'card');
  t.deepEqual(cardView.card, { maskedName: '张*', maskedNo: '****0001', balance: ZHANG.card });

  touch(screens, 'card.continue');
  await waitForScreen(ui, 'menu');
  touch(screens, 'menu.load');
  const { view: amountView } = await waitForScreen(ui, 'amount');
  t.like(amountView.amount, { maxLoad: 100_000, purseLimit: 200_000, entered: null });

  const entry = once(keypad, 'entry');
  t.deepEqual(touch(screens, 'amount.presets.5000'), { type: 'amount-preset', fen: 5000 });
  const { view: pinView } = await waitForScreen(ui, 'pin');
  t.like(pinView.pin, { digits: 0, amount: 5000, purpose: 'bank' });
  if (!keypad.entryActive) await entry;
  keypad.type(ZHANG.pin);
  // The pad tells the screen how many digits were pressed, never which.
  await waitForView(ui, (v) => v.screen === 'pin' && v.pin?.digits === ZHANG.pin.length, 'six PIN dots');
  keypad.enter();

  const { view: resultView, report } = await waitForScreen(ui, 'result');
  t.like(resultView.result, { ok: true, operation: 'load', amount: 5000, newBalance: ZHANG.card + 5000 });
  t.is(card.state().balance, ZHANG.card + 5000, 'the card holds what the result screen says');
  t.is(resultView.result!.newBalance, card.state().balance);
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank - 5000);
  t.true(drawnTexts(report).some((text) => text.includes('¥60.00')), 'the new balance is drawn');

  // The receipt is offered and printed on the simulated printer.
  touch(screens, 'result.ok');
  const { view: offer } = await waitForScreen(ui, 'receipt');
  t.like(offer.receipt, { available: true, qrPayload: resultView.result!.reference });
  const printed = once(printer.device, 'receipt') as Promise<[PrintedReceipt]>;
  touch(screens, 'receipt.print');
  const [receipt] = await printed;
  t.regex(receiptText(receipt, 32), /60\.00/);
  // The bank simulator numbers its debits from 1: this is the first.
  t.regex(receiptText(receipt, 32), /000000000001/, 'the receipt carries the bank reference of the debit');
  await waitForScreen(ui, 'idle');

  // 查询: the balance and the load as the card itself records them.
  reader!.remove();
  reader!.insert(card);
  await waitForScreen(ui, 'card');
  touch(screens, 'card.continue');
  await waitForScreen(ui, 'menu');
  touch(screens, 'menu.records');
  const { view: records } = await waitForScreen(ui, 'records');
  t.is(records.card!.balance, ZHANG.card + 5000);
  t.like(records.records, [{ kind: 'load', amount: 5000, place: '000000000001' }]);
});

test('taking the card away on the menu returns to idle', async (t) => {
  const system = await startTestSystem(t);
  const screens = await startTestScreens(t, system);
  const { reader } = system.kiosks.get('K001')!;
  await waitForScreen(screens.ui, 'idle');
  reader!.insert(system.cards.get(ZHANG.asn)!);
  await waitForScreen(screens.ui, 'card');
  touch(screens, 'card.continue');
  await waitForScreen(screens.ui, 'menu');
  reader!.remove();
  const { view } = await waitForScreen(screens.ui, 'idle');
  t.is(view.card, undefined);
  t.is(system.cards.get(ZHANG.asn)!.state().balance, ZHANG.card);
});

test('an amount over the single-load limit shows AMOUNT_OVER_LOAD_LIMIT, asks for no PIN and moves no money', async (t) => {
  const system = await startTestSystem(t);
  const screens = await startTestScreens(t, system);
  const { ui } = screens;
  const { keypad, kiosk } = system.kiosks.get('K001')!;
  await touchToAmount(screens, system, ZHANG.asn);
  // ¥1001 typed on the screen keypad: one yuan over the ¥1000.00 limit, and the purse could still hold it.
  for (const key of ['1', '0', '0', '1']) touch(screens, `amount.keypad.${key}`);
  await waitForView(ui, (v) => v.amount?.entered === 100_100, '¥1001 typed');
  touch(screens, 'amount.keypad.ok');

  const { view, report } = await waitForView(ui, (v) => v.amount?.error !== undefined, 'an amount error');
  t.is(view.screen, 'amount');
  t.is(view.amount!.error, 'AMOUNT_OVER_LOAD_LIMIT');
  t.true(drawnTexts(report).includes(ERROR_CODES.AMOUNT_OVER_LOAD_LIMIT.zh), 'the code\'s text is on screen');
  t.false(keypad.entryActive, 'no PIN was asked for');
  t.is(system.cards.get(ZHANG.asn)!.state().balance, ZHANG.card);
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank);
  t.deepEqual(await kiosk.journal.loads.unfinished(), []);
  t.deepEqual(await system.gateway.ledger.postings(), []);
});

test('a session left alone counts down on screen and returns to idle', async (t) => {
  const system = await startTestSystem(t);
  const screens = await startTestScreens(t, system, { inactivitySeconds: 3 });
  const { reader } = system.kiosks.get('K001')!;
  await waitForScreen(screens.ui, 'idle');
  // Every countdown drawn on the card screen, in order: a stalled event loop may skip a second, never go back up.
  const shown: number[] = [];
  screens.ui.on('render', (view: KioskView) => {
    if (view.screen === 'card' && view.inactivitySecondsLeft !== undefined) shown.push(view.inactivitySecondsLeft);
  });
  reader!.insert(system.cards.get(ZHANG.asn)!);
  await waitForScreen(screens.ui, 'card');
  await waitForScreen(screens.ui, 'idle');
  t.true(shown[0]! <= 3 && shown.every((n, i) => n >= 1 && (i === 0 || n <= shown[i - 1]!)), `countdown drawn: ${shown.join(', ')}`);
  t.true(new Set(shown).size >= 2, `the countdown moved on screen: ${shown.join(', ')}`);
});
