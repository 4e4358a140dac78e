/**
 * Standing orders of the batch transfer mode: each bad value with its code, and the month a
 * monthly order is due for on a campus date — a day the month lacks is its last day, and a run missed on the due
 * day still sends it later that month.
 */
import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { checkOrder, formatRule, monthlyPeriod, type OrderRule } from '../../gateway/transfers/standing-orders.ts';

const LIMITS = { maxLoad: 50000, purseLimit: 100000 };

test('a rule as the records and listings write it', (t) => {
  t.is(formatRule({ kind: 'below', threshold: 2000 }), 'below:2000');
  t.is(formatRule({ kind: 'monthly', day: 5 }), 'monthly:5');
});

test('each bad order value has its code', (t) => {
  const code = (amount: number, rule: OrderRule) => t.throws(() => checkOrder({ amount, rule }, LIMITS), { instanceOf: QuancunError })!.code;
  t.is(code(0, { kind: 'monthly', day: 1 }), 'AMOUNT_INVALID');
  t.is(code(12.5, { kind: 'monthly', day: 1 }), 'AMOUNT_INVALID');
  t.is(code(50001, { kind: 'monthly', day: 1 }), 'AMOUNT_OVER_LOAD_LIMIT');
  t.is(code(1000, { kind: 'monthly', day: 0 }), 'TRANSFER_ORDER_INVALID');
  t.is(code(1000, { kind: 'monthly', day: 32 }), 'TRANSFER_ORDER_INVALID');
  t.is(code(1000, { kind: 'below', threshold: 0 }), 'TRANSFER_ORDER_INVALID');
  // 95000 + 10000 could never be written to a card whose purse stops at 100000.
  t.is(code(10000, { kind: 'below', threshold: 95000 }), 'AMOUNT_OVER_PURSE_LIMIT');
  t.notThrows(() => checkOrder({ amount: 50000, rule: { kind: 'below', threshold: 50000 } }, LIMITS));
  t.notThrows(() => checkOrder({ amount: 1, rule: { kind: 'monthly', day: 31 } }, LIMITS));
});

test('a monthly order is due from its day on, for that month', (t) => {
  t.is(monthlyPeriod(15, '2026-12-14'), null);
  t.is(monthlyPeriod(15, '2026-12-15'), '2026-12');
  t.is(monthlyPeriod(15, '2026-12-31'), '2026-12', 'a run missed on the 15th sends it later that month');
  t.is(monthlyPeriod(1, '2027-01-01'), '2027-01');
});

test('day 31 in a 30-day month, and 29-31 in February, fall on the month\'s last day', (t) => {
  t.is(monthlyPeriod(31, '2026-04-29'), null);
  t.is(monthlyPeriod(31, '2026-04-30'), '2026-04');
  t.is(monthlyPeriod(31, '2026-03-30'), null);
  t.is(monthlyPeriod(31, '2026-03-31'), '2026-03');
  t.is(monthlyPeriod(30, '2027-02-27'), null);
  t.is(monthlyPeriod(30, '2027-02-28'), '2027-02');
  t.is(monthlyPeriod(29, '2028-02-28'), null, '2028 is a leap year');
  t.is(monthlyPeriod(29, '2028-02-29'), '2028-02');
});
