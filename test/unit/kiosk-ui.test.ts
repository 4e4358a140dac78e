import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { maskName } from '../../runtime/flows/card-session.ts';
import type { LoadOutcome } from '../../runtime/flows/load/load-flow.ts';
import { editAmount } from '../../runtime/ui/amount-entry.ts';
import { toTransactionRecord } from '../../runtime/ui/card-records.ts';
import { loadResult } from '../../runtime/ui/load-result.ts';
import { checkTransition } from '../../runtime/ui/ui-state.ts';
import type { KeypadKey } from '../../screens/view-model.ts';

test('the amount keypad types whole yuan into fen, deletes, ignores leading zeros and stops at six digits', (t) => {
  const type = (keys: KeypadKey[]) => keys.reduce<number | null>((fen, k) => editAmount(fen, k), null);
  t.is(type(['5', '0']), 5000);
  t.is(type(['0', '0', '7']), 700);
  t.is(type(['1', '2', 'del']), 100);
  t.is(type(['1', 'del']), null);
  t.is(type(['9', '9', '9', '9', '9', '9', '9']), 99_999_900);
  t.is(editAmount(3000, 'ok'), 3000);
});

test('names are masked to the first character and, from three characters on, the last', (t) => {
  t.is(maskName('张三'), '张*');
  t.is(maskName('张三明'), '张*明');
  t.is(maskName('欧阳小明'), '欧**明');
  t.is(maskName('王'), '王');
});

test('the UI state table allows the flow and refuses a jump past the PIN', (t) => {
  t.notThrows(() => checkTransition('amount', 'pin'));
  t.notThrows(() => checkTransition('menu', 'idle'));
  const err = t.throws(() => checkTransition('amount', 'receipt'), { instanceOf: QuancunError });
  t.is(err?.code, 'INTERNAL');
});

test('a load result shows the card balance after the credit, none after a torn credit, the code when refused', (t) => {
  const base: LoadOutcome = { txnId: 'T1', state: 'completed', amount: 5000, cardBefore: 1000, cardAfter: 6000, tacVerified: true };
  t.like(loadResult(base), { ok: true, newBalance: 6000, reference: 'T1' });
  t.is(loadResult({ ...base, state: 'torn', code: 'CARD_REMOVED' }).newBalance, undefined);
  t.like(loadResult({ ...base, state: 'declined', cardAfter: 1000, code: 'PIN_WRONG' }), { ok: false, code: 'PIN_WRONG', newBalance: 1000 });
});

test('card records: loads are credits, purchases debits, with the host date and time', (t) => {
  const record = { counter: 3, overdraft: 0, amount: 5000, type: 0x02, terminalId: '000000000001', date: '20261128', time: '120412' };
  t.deepEqual(toTransactionRecord(record), { time: '2026-11-28 12:04', kind: 'load', amount: 5000, place: '000000000001' });
  t.like(toTransactionRecord({ ...record, type: 0x06, amount: 1250 }), { kind: 'purchase', amount: -1250 });
});
