import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { maskName, type CardSession } from '../../runtime/flows/card-session.ts';
import type { LoadCredited } from '../../runtime/flows/load/load-flow.ts';
import { editAmount } from '../../runtime/ui/amount-entry.ts';
import { toTransactionRecord } from '../../runtime/ui/card-records.ts';
import { loadReceipt, loadResult } from '../../runtime/ui/load-result.ts';
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

const CREDITED: LoadCredited = {
  txnId: 'T1', state: 'completed', amount: 5000, cardBefore: 1000, cardAfter: 6000, tac: '5E6F7A8B', tacVerified: true, bankRef: '250901000123',
};

test('a load result shows the card balance after the credit, none after a torn credit, the code when refused', (t) => {
  const base = { txnId: 'T1', amount: 5000, cardBefore: 1000, tacVerified: false } as const;
  t.like(loadResult(CREDITED), { ok: true, newBalance: 6000, reference: 'T1' });
  t.is(loadResult({ ...base, state: 'torn', code: 'CARD_REMOVED' }).newBalance, undefined);
  t.like(loadResult({ ...base, state: 'declined', cardAfter: 1000, code: 'PIN_WRONG' }), { ok: false, code: 'PIN_WRONG', newBalance: 1000 });
});

test('a load receipt carries the bank reference from the outcome of the load', (t) => {
  const session = { asn: '31030000002023010001' } as CardSession;
  t.like(loadReceipt(CREDITED, session, { campus: '测试大学', kioskId: 'K001', timeZone: 'Asia/Shanghai' }), {
    timeZone: 'Asia/Shanghai', txnRef: 'T1', wording: { zh: { title: '圈存凭条' }, en: { title: 'LOAD RECEIPT' } }, amountFen: 5000, balanceAfterFen: 6000, bankRef: '250901000123', maskedCard: '****0001',
  });
});

test('card records: loads are credits, purchases debits, with the host date and time', (t) => {
  const record = { counter: 3, overdraft: 0, amount: 5000, type: 0x02, terminalId: '000000000001', date: '20261128', time: '120412' };
  t.deepEqual(toTransactionRecord(record), { time: '2026-11-28 12:04', kind: 'load', amount: 5000, place: '000000000001' });
  t.like(toTransactionRecord({ ...record, type: 0x06, amount: 1250 }), { kind: 'purchase', amount: -1250 });
});
