import test from 'ava';
import { Backoff, backoffDelay } from '../../common/backoff.ts';

const policy = { minMs: 100, maxMs: 1000 };

test('the wait doubles with each failure in a row from minMs and stays at maxMs', (t) => {
  t.deepEqual([1, 2, 3, 4, 5, 6].map((n) => backoffDelay(policy, n)), [100, 200, 400, 800, 1000, 1000]);
  t.is(backoffDelay(policy, 0), 100, 'no failure yet: the first wait');
  t.is(backoffDelay(policy, 5000), 1000, 'a long run of failures does not overflow past maxMs');
});

test('a Backoff counts the failures itself and starts over after a success', (t) => {
  const backoff = new Backoff(policy);
  t.deepEqual([backoff.next(), backoff.next(), backoff.next()], [100, 200, 400]);
  backoff.reset();
  t.is(backoff.next(), 100);
});
