/**
 * The delivery of postings to an external one-card system: the campus ledger on a LevelDB store writes each posting
 * with its outbox entry, the relay sends them over HTTP to the one-card centre simulator on loopback, which fails as
 * a real one does. Each status must reach the centre once, in the order it was made; a refusal stays for an
 * operator (and in the health check); what is owed survives a restart.
 */
import test, { type ExecutionContext } from 'ava';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import type { QuancunError } from '../../common/errors.ts';
import { createLogger, type Fields } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { GatewayHealth, type HealthOptions } from '../../gateway/metrics/health.ts';
import { HttpOneCard } from '../../gateway/onecard/http-one-card.ts';
import { owedPostings, refusedPostings } from '../../gateway/onecard/posting-outbox.ts';
import { PostingRelay } from '../../gateway/onecard/posting-relay.ts';
import type { CampusAccount, OneCardPosting } from '../../gateway/onecard/one-card-system.ts';
import { OneCardCentre } from '../../sim/onecard/onecard-centre.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG: CampusAccount = { campusAccount: '2023010001', name: '张三', staffNo: 'S2023010001', asn: '31030000002023010001' };
const POLICY = { minMs: 20, maxMs: 200, attentionAfter: 3, pollMs: 20 };
const ANSWER_MS = 1000;

interface Rig {
  centre: OneCardCentre;
  dir: string;
  store: LevelStore;
  ledger: CampusLedger;
  log: Fields[];
  relay(): PostingRelay;
}

async function rig(t: ExecutionContext): Promise<Rig> {
  const centre = new OneCardCentre({ accounts: [ZHANG] });
  await centre.start();
  t.teardown(() => centre.stop());
  const dir = await tempDir(t);
  const log: Fields[] = [];
  const logger = createLogger({ sink: (_line, record) => log.push(record) });
  // Long enough that a healthy centre on a busy test machine always answers in time: every request counted below is
  // one the fault made, not one a slow scheduler added.
  const system = new HttpOneCard({ url: centre.url, timeoutMs: ANSWER_MS });
  await system.open();
  const store = new LevelStore(join(dir, 'gw'), { log: logger });
  await store.open();
  t.teardown(() => store.close());
  const relays: PostingRelay[] = [];
  t.teardown(() => Promise.all(relays.map((r) => r.stop())));
  return {
    centre, dir, store, log, ledger: new CampusLedger(store, system),
    relay: () => {
      const relay = new PostingRelay({ store, system, policy: POLICY, log: logger });
      relays.push(relay);
      return relay;
    },
  };
}

/** A load's provisional and final, and a subsidy owed: three batches, as the load and credit services write them. */
async function postThree(ledger: CampusLedger, store: LevelStore): Promise<void> {
  await store.batch(ledger.postingOps({ txnId: 'K001-00000001', campusAccount: ZHANG.campusAccount, amount: 5000, status: 'provisional' }));
  await store.batch(ledger.postingOps({ txnId: 'SUB-0001', campusAccount: ZHANG.campusAccount, amount: 1234, status: 'pending', source: 'subsidy' }));
  await store.batch(ledger.postingOps({ txnId: 'K001-00000001', campusAccount: ZHANG.campusAccount, amount: 5000, status: 'final' }));
}

/** Resolves with the next `n` postings the relay delivers, in the order it delivered them. */
function deliveries(relay: PostingRelay, n: number): Promise<Array<Pick<OneCardPosting, 'txnId' | 'status'>>> {
  const seen: Array<Pick<OneCardPosting, 'txnId' | 'status'>> = [];
  return new Promise((resolve) => {
    relay.on('delivered', ({ txnId, status }) => {
      seen.push({ txnId, status });
      if (seen.length === n) resolve(seen);
    });
  });
}

const THREE_DELIVERED = [
  { txnId: 'K001-00000001', status: 'provisional' },
  { txnId: 'K001-00000001', status: 'final' },
  { txnId: 'SUB-0001', status: 'write-failed' },
];

const faults: Array<{ what: string; fault: (c: OneCardCentre) => unknown; heal?: (c: OneCardCentre) => unknown; requests: number }> = [
  { what: 'down (connection refused)', fault: (c) => c.down(), heal: (c) => c.up(), requests: 3 },
  { what: 'answering 503', fault: (c) => c.fail(2), requests: 5 },
  { what: 'losing the answer after applying', fault: (c) => c.loseAnswers(1), requests: 4 },
  { what: 'slower than the timeout', fault: (c) => c.slow(3 * ANSWER_MS), heal: (c) => c.slow(0), requests: 4 },
];

for (const { what, fault, heal, requests } of faults) {
  test(`a one-card system ${what}: every status is delivered in the order made, applied once, then gone from the outbox`, async (t) => {
    const { centre, store, ledger, relay: newRelay } = await rig(t);
    await postThree(ledger, store);
    await fault(centre);
    const relay = newRelay();
    const delivered = deliveries(relay, 3);
    const unanswered = once(relay, 'unanswered');
    await relay.start();
    await unanswered;
    await heal?.(centre);
    t.deepEqual(await delivered, THREE_DELIVERED);
    t.deepEqual(centre.postings().map((p) => [p.txnId, p.applied]), [['K001-00000001', ['provisional', 'final']], ['SUB-0001', ['write-failed']]]);
    // The centre saw the try that got no answer too (none when it was down): sent again, applied once.
    t.is(centre.postingRequests, requests);
    t.deepEqual(await owedPostings(store), []);
    t.like(relay.state, { waiting: 0, refused: 0, unanswered: 0 });
  });
}

test('a posting the one-card system refuses is not sent again nor dropped: kept, logged with its code, and the rest go on', async (t) => {
  const { centre, store, ledger, log, relay: newRelay } = await rig(t);
  // The centre expired this credit by a rule of its own: the card's collect (final) is a change it cannot make.
  const direct = new HttpOneCard({ url: centre.url, timeoutMs: 1000 });
  for (const status of ['write-failed', 'expired'] as const) {
    await direct.post({ txnId: 'SUB-0002', campusAccount: ZHANG.campusAccount, amount: 800, status, source: 'subsidy', at: '2026-11-20T00:00:00.000Z' });
  }
  await store.batch(ledger.postingOps({ txnId: 'SUB-0002', campusAccount: ZHANG.campusAccount, amount: 800, status: 'final', source: 'subsidy' }));
  await store.batch(ledger.postingOps({ txnId: 'K001-00000003', campusAccount: ZHANG.campusAccount, amount: 2000, status: 'provisional' }));
  const relay = newRelay();
  const refused = once(relay, 'refused');
  const delivered = deliveries(relay, 1);
  await relay.start();
  await refused;
  t.deepEqual(await delivered, [{ txnId: 'K001-00000003', status: 'provisional' }]);

  const kept = await refusedPostings(store);
  t.is(kept.length, 1);
  t.like(kept[0], { posting: { txnId: 'SUB-0002', campusAccount: '2023010001', amount: 800, status: 'final', source: 'subsidy' }, code: 'ONECARD_REFUSED', reason: 'transition-refused' });
  t.deepEqual(await owedPostings(store), []);
  t.like(relay.state, { refused: 1, waiting: 0 });
  t.deepEqual(centre.posting('SUB-0002')?.applied, ['write-failed', 'expired']);
  // The console's /health says so until an operator has dealt with it.
  const health = new GatewayHealth({
    store, endpoint: { connected: true } as HealthOptions['endpoint'], reversals: Object.assign(new EventEmitter(), { pending: [] }) as unknown as HealthOptions['reversals'],
    banks: new Map(), attentionAfter: 3, oneCard: relay,
  });
  t.like(await health.check(), {
    status: 'degraded', reasons: ['1 posting(s) refused by the one-card system (ONECARD_REFUSED, in the log): for an operator'],
  });
  t.like(log.find((r) => r.msg === 'the one-card system refused a posting: kept for an operator, not sent again'),
    { level: 'error', txnId: 'SUB-0002', status: 'final', code: 'ONECARD_REFUSED', reason: 'transition-refused' });
  // A later pass delivers what comes next and does not send the refused one again: the centre saw it once.
  const next = deliveries(relay, 1);
  await store.batch(ledger.postingOps({ txnId: 'K001-00000004', campusAccount: ZHANG.campusAccount, amount: 1000, status: 'provisional' }));
  t.deepEqual(await next, [{ txnId: 'K001-00000004', status: 'provisional' }]);
  t.is(centre.postingRequests, 5);
});

test('an operator answers a refusal: sent again once the one-card system was put right, delivered once; or set aside with a note, kept', async (t) => {
  const { centre, store, ledger, relay: newRelay } = await rig(t);
  const WANG: CampusAccount = { campusAccount: '2023010003', name: '王五', staffNo: 'S2023010003', asn: '31030000002023010003' };
  // Two loads of an account the one-card office has not opened yet: both refused, account-unknown.
  for (const txnId of ['K001-00000005', 'K001-00000006']) {
    await store.batch(ledger.postingOps({ txnId, campusAccount: WANG.campusAccount, amount: 3000, status: 'provisional' }));
  }
  const relay = newRelay();
  const refusedTwice = new Promise<void>((resolve) => relay.on('refused', () => relay.state.refused === 2 && resolve()));
  await relay.start();
  await refusedTwice;
  t.deepEqual((await relay.refusals()).refused.map((r) => [r.posting.txnId, r.reason]), [['K001-00000005', 'account-unknown'], ['K001-00000006', 'account-unknown']]);

  // The office opens the account; the operator sends the first again: delivered, once, and no longer kept.
  centre.openAccount(WANG);
  const delivered = deliveries(relay, 1);
  await relay.settleRefusal('K001-00000005', 'provisional', { resend: true });
  t.deepEqual(await delivered, [{ txnId: 'K001-00000005', status: 'provisional' }]);
  t.deepEqual(centre.posting('K001-00000005')?.applied, ['provisional']);

  // The second is set aside (entered by hand at the office): kept with who and why, not sent, not counted.
  await relay.settleRefusal('K001-00000006', 'provisional', { resend: false, by: 'op1', note: 'entered by hand, ticket 88' });
  const { refused, setAside } = await relay.refusals();
  t.deepEqual(refused, []);
  t.like(setAside, [{ posting: { txnId: 'K001-00000006', status: 'provisional' }, reason: 'account-unknown', setAside: { by: 'op1', note: 'entered by hand, ticket 88' } }]);
  t.like(relay.state, { refused: 0, waiting: 0 });
  t.is(centre.posting('K001-00000006'), undefined);
  // Answered already: the second answer (a double click, another operator) is told so and changes nothing.
  const again = await t.throwsAsync(relay.settleRefusal('K001-00000006', 'provisional', { resend: true }));
  t.is((again as QuancunError).code, 'ONECARD_REFUSAL_UNKNOWN');
  t.deepEqual(await owedPostings(store), []);
});

test('postings owed when the gateway stops are in its store: after a restart they are delivered, each once', async (t) => {
  const { centre, dir, store, ledger, relay: newRelay } = await rig(t);
  await centre.down();
  await postThree(ledger, store);
  const first = newRelay();
  const unanswered = once(first, 'unanswered');
  await first.start();
  await unanswered;
  await first.stop();
  await store.close();

  const reopened = new LevelStore(join(dir, 'gw'), { log: createLogger({ sink: () => {} }) });
  await reopened.open();
  t.teardown(() => reopened.close());
  t.deepEqual((await owedPostings(reopened)).map((e) => [e.value.txnId, e.value.status]),
    [['K001-00000001', 'provisional'], ['K001-00000001', 'final'], ['SUB-0001', 'write-failed']]);
  await centre.up();
  const system = new HttpOneCard({ url: centre.url, timeoutMs: 1000 });
  const second = new PostingRelay({ store: reopened, system, policy: POLICY, log: createLogger({ sink: () => {} }) });
  t.teardown(() => second.stop());
  const delivered = deliveries(second, 3);
  await second.start();
  t.deepEqual(await delivered, THREE_DELIVERED);
  t.deepEqual(centre.postings().map((p) => [p.txnId, p.applied]), [['K001-00000001', ['provisional', 'final']], ['SUB-0001', ['write-failed']]]);
});

test('the ledger owes a posting to an external system only: with the built-in one its store is the record', async (t) => {
  const { store, ledger } = await rig(t);
  const builtIn = new CampusLedger(store);
  const posting = { txnId: 'K001-00000009', campusAccount: ZHANG.campusAccount, amount: 100, status: 'pending' as const };
  t.deepEqual(builtIn.postingOps(posting).map((op) => op.key), ['ledger/posting/K001-00000009']);
  t.deepEqual(ledger.postingOps(posting).map((op) => op.key), ['ledger/posting/K001-00000009', 'onecard/outbox/K001-00000009/2']);
});
