/**
 * `quancun sim load` as a person or a script runs it: a child process on the embedded default, its last stdout line
 * read as JSON. Figures from config/embedded.json (张三: card 10.00, bank 5000.00).
 */
import test from 'ava';
import { lastJson, quancun } from '../support/cli.ts';

test('sim load --amount 50.00 --json: card +5000 fen, bank -5000 fen, TAC verified, exit 0', async (t) => {
  const run = await quancun('sim', 'load', '--amount', '50.00', '--json');
  t.is(run.code, 0, run.stderr);
  t.deepEqual(lastJson(run.stdout), {
    txnId: 'K001-00000001', state: 'completed', amount: 5000,
    card: { before: 1000, after: 6000 }, bank: { before: 500_000, after: 495_000 }, tacVerified: true,
  });
});

test('sim load without --json prints the same for a person', async (t) => {
  const run = await quancun('sim', 'load', '--amount', '50.00');
  t.is(run.code, 0, run.stderr);
  t.is(run.stdout, [
    'transaction  K001-00000001', 'state        completed', 'card         10.00 -> 60.00', 'bank         5000.00 -> 4950.00', 'TAC verified yes', '',
  ].join('\n'));
});

test('sim load with an amount that is not a number is refused with AMOUNT_INVALID and the balances of the card tapped, exit 1', async (t) => {
  const run = await quancun('sim', 'load', '--amount', 'fifty', '--json');
  t.is(run.code, 1);
  t.deepEqual(lastJson(run.stdout), {
    txnId: null, state: 'refused', code: 'AMOUNT_INVALID', message: 'not an amount in yuan: "fifty"', amount: null,
    card: { before: 1000, after: 1000 }, bank: { before: 500_000, after: 500_000 }, tacVerified: false,
  });
});

test('sim load --amount 0 for a person: the error in the operator\'s words and the card\'s real balance', async (t) => {
  const run = await quancun('sim', 'load', '--amount', '0');
  t.is(run.code, 1);
  t.is(run.stdout, [
    'transaction  (none)', 'state        refused', 'error        AMOUNT_INVALID: amount must be greater than zero',
    'card         10.00 -> 10.00', 'bank         5000.00 -> 5000.00', 'TAC verified no', '',
  ].join('\n'));
});

test('sim load with a wrong PIN is declined with PIN_WRONG and the bank balance is untouched', async (t) => {
  const run = await quancun('sim', 'load', '--amount', '50.00', '--pin', '000000', '--json');
  t.is(run.code, 1);
  t.like(lastJson(run.stdout), { state: 'declined', code: 'PIN_WRONG', card: { before: 1000, after: 1000 }, bank: { before: 500_000, after: 500_000 } });
});
