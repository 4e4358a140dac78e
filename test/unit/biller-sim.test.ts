/** The biller simulator over real HTTP on loopback: lookup, idempotent payment, and each fault of its handle. */
import test from 'ava';
import { BillerSimulator } from '../../sim/biller/biller-host.ts';

async function started(t: { teardown: (f: () => Promise<void>) => void }): Promise<BillerSimulator> {
  const sim = new BillerSimulator([
    { id: 'dorm-power', accounts: [{ account: '3-402', holder: '张三', room: '东区3号楼402' }] },
    { id: 'campus-net', accounts: [{ account: 'zhangsan', holder: '张三' }] },
  ]);
  await sim.start();
  t.teardown(() => sim.stop());
  return sim;
}

const pay = (sim: BillerSimulator, body: object, biller = 'dorm-power') =>
  fetch(`${sim.url(biller)}/payments`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

test('a lookup answers the holder and room of a known account and 404 for an unknown one', async (t) => {
  const sim = await started(t);
  const known = await fetch(`${sim.url('dorm-power')}/accounts/3-402`);
  t.is(known.status, 200);
  t.deepEqual(await known.json(), { account: '3-402', holder: '张三', room: '东区3号楼402' });
  const unknown = await fetch(`${sim.url('dorm-power')}/accounts/9-999`);
  t.is(unknown.status, 404);
  t.deepEqual(await unknown.json(), { error: 'account-unknown' });
  // An account of one biller is not one of another.
  t.is((await fetch(`${sim.url('campus-net')}/accounts/3-402`)).status, 404);
});

test('the same payment id twice pays once and answers the same', async (t) => {
  const sim = await started(t);
  const first = await pay(sim, { paymentId: 'P-1', account: '3-402', amount: 1500 });
  const second = await pay(sim, { paymentId: 'P-1', account: '3-402', amount: 1500 });
  t.is(first.status, 200);
  const answer = await first.json();
  t.deepEqual(answer, { paymentId: 'P-1', status: 'paid', receiptNo: 'R00000001', amount: 1500 });
  t.deepEqual(await second.json(), answer);
  t.is(sim.received('dorm-power', '3-402'), 1500);
  // The same id with another amount is a conflict, and pays nothing.
  t.is((await pay(sim, { paymentId: 'P-1', account: '3-402', amount: 1 })).status, 409);
  t.is(sim.received('dorm-power', '3-402'), 1500);
});

test('a refused payment is 422 with its reason, moves nothing, and its retry is refused the same', async (t) => {
  const sim = await started(t);
  sim.refuseNext('account-closed');
  const refused = await pay(sim, { paymentId: 'P-2', account: '3-402', amount: 800 });
  t.is(refused.status, 422);
  t.deepEqual(await refused.json(), { paymentId: 'P-2', status: 'refused', reason: 'account-closed' });
  t.is((await pay(sim, { paymentId: 'P-2', account: '3-402', amount: 800 })).status, 422);
  t.is(sim.received('dorm-power', '3-402'), 0);
  // The refusal was for one payment only.
  t.is((await pay(sim, { paymentId: 'P-3', account: '3-402', amount: 800 })).status, 200);
});

test('a lost answer applies the payment and resets the connection; the retry gets the original answer', async (t) => {
  const sim = await started(t);
  sim.loseNextAnswer();
  await t.throwsAsync(pay(sim, { paymentId: 'P-4', account: 'zhangsan', amount: 2000 }, 'campus-net'), { instanceOf: TypeError });
  t.is(sim.received('campus-net', 'zhangsan'), 2000);
  const retry = await pay(sim, { paymentId: 'P-4', account: 'zhangsan', amount: 2000 }, 'campus-net');
  t.deepEqual(await retry.json(), { paymentId: 'P-4', status: 'paid', receiptNo: 'R00000001', amount: 2000 });
  t.is(sim.received('campus-net', 'zhangsan'), 2000);
});

test('down refuses the connection; up serves again on the same address with the payments it had', async (t) => {
  const sim = await started(t);
  await pay(sim, { paymentId: 'P-5', account: '3-402', amount: 100 });
  const url = sim.url('dorm-power');
  await sim.down();
  const err = await t.throwsAsync(fetch(`${url}/accounts/3-402`));
  t.is((err?.cause as NodeJS.ErrnoException | undefined)?.code, 'ECONNREFUSED');
  await sim.up();
  t.is(sim.url('dorm-power'), url);
  t.is((await fetch(`${url}/accounts/3-402`)).status, 200);
  t.is(sim.received('dorm-power', '3-402'), 100);
});

test('slow applies the payment at once and answers after the delay', async (t) => {
  const sim = await started(t);
  sim.slow(300);
  const aborted = pay(sim, { paymentId: 'P-6', account: '3-402', amount: 700 });
  const timedOut = await fetch(`${sim.url('dorm-power')}/accounts/3-402`, { signal: AbortSignal.timeout(50) }).catch((e: unknown) => e);
  t.is((timedOut as DOMException).name, 'TimeoutError');
  const since = Date.now();
  t.is((await aborted).status, 200);
  t.true(Date.now() - since >= 200);
  t.is(sim.received('dorm-power', '3-402'), 700);
});
