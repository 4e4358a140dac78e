import test from 'ava';
import { parseYuan, formatYuan } from '../../common/money.ts';
import { QuancunError } from '../../common/errors.ts';

test('amounts in yuan become integer fen', (t) => {
  t.is(parseYuan('50'), 5000);
  t.is(parseYuan('50.00'), 5000);
  t.is(parseYuan('0.5'), 50);
  t.is(parseYuan('0.01'), 1);
  t.is(parseYuan(' 12.34 '), 1234);
  t.is(parseYuan('999999999.99'), 99999999999);
});

test('anything that is not a positive amount with at most two decimals is AMOUNT_INVALID', (t) => {
  for (const bad of ['', '0', '0.00', '-5', '+5', '5.001', '1e3', 'abc', '5,00', '05', '.5', 'NaN', 'Infinity', '1000000000']) {
    const err = t.throws(() => parseYuan(bad), { instanceOf: QuancunError }, bad);
    t.is(err?.code, 'AMOUNT_INVALID', bad);
  }
});

test('fen print as yuan with two decimals', (t) => {
  t.is(formatYuan(5000), '50.00');
  t.is(formatYuan(1), '0.01');
  t.is(formatYuan(-250), '-2.50');
});
