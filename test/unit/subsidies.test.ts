/**
 * Subsidies at the gateway, on LevelDB on disk: each kind of bad CSV line with its code and line number and nothing
 * imported; a batch imported twice; expiry by the timer's check and at a start after the gateway was stopped, a MAC2
 * already issued held for the card instead; the report's columns and its balance, and a report that does not balance
 * when a posting is missing; 查询's listing of the credits by source. Accounts as in config/embedded.json; amounts
 * written down in fen.
 */
import test, { type ExecutionContext } from 'ava';
import { createLogger, silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { QuancunError } from '../../common/errors.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { KeyStore } from '../../gateway/keystore/key-store.ts';
import { CampusCredits } from '../../gateway/credits/campus-credits.ts';
import { creditRecords } from '../../gateway/credits/credit-records.ts';
import { SubsidyService } from '../../gateway/subsidies/subsidy-service.ts';
import { checkBatch, type LineProblem } from '../../gateway/subsidies/subsidy-lines.ts';
import { tempDir } from '../support/temp-dir.ts';

const ACCOUNTS = new Set(['2023010001', '2023010002', '2023010003']);
const CTX = { accountExists: async (a: string) => ACCOUNTS.has(a), today: '2026-12-06' };
const HEADER = 'account,amount,reason,period,expires';

test('a good batch: amounts in yuan become fen, a quoted reason keeps its comma, a BOM and blank lines are ignored', async (t) => {
  const text = `\uFEFF${HEADER}\r\n2023010001,150.00,伙食补助,2026-11,2026-12-31\r\n\r\n2023010002,20.5,"冬季,取暖",2026-12,2026-12-06\n2023010003,7,交通补助,2026-11,2027-01-31\n`;
  t.deepEqual(await checkBatch(text, CTX), [
    { line: 2, campusAccount: '2023010001', amount: 15000, reason: '伙食补助', period: '2026-11', expires: '2026-12-31' },
    { line: 4, campusAccount: '2023010002', amount: 2050, reason: '冬季,取暖', period: '2026-12', expires: '2026-12-06' },
    { line: 5, campusAccount: '2023010003', amount: 700, reason: '交通补助', period: '2026-11', expires: '2027-01-31' },
  ]);
});

async function problems(t: ExecutionContext, text: string): Promise<Array<Pick<LineProblem, 'line' | 'code'>>> {
  const err = await t.throwsAsync(checkBatch(text, CTX), { instanceOf: QuancunError });
  t.is((err as QuancunError).code, 'SUBSIDY_BATCH_INVALID');
  return ((err as QuancunError).details.problems as LineProblem[]).map(({ line, code }) => ({ line, code }));
}

test('every bad line is named with its code; one bad line refuses the batch', async (t) => {
  const text = [
    HEADER,
    '2023010001,150.00,伙食补助,2026-11,2026-12-31',
    '2099999999,10.00,伙食补助,2026-11,2026-12-31',
    '2023010002,12.345,伙食补助,2026-11,2026-12-31',
    '2023010002,-5,伙食补助,2026-11,2026-12-31',
    '2023010003,0.00,伙食补助,2026-11,2026-12-31',
    '2023010001,99.00,伙食补助,2026-11,2027-01-31',
    '2023010003,10.00,伙食补助,2026-11,2026-12-05',
    '2023010003,10.00,交通补助,2026-11,2026-02-30',
    '2023010003,10.00,住宿补助,2026-13,2026-12-31',
    '2023010003,10.00,,2026-11,2026-12-31',
    '2023010003,10.00,伙食补助',
  ].join('\n');
  t.deepEqual(await problems(t, text), [
    { line: 3, code: 'SUBSIDY_ACCOUNT_UNKNOWN' },
    { line: 4, code: 'SUBSIDY_AMOUNT_INVALID' },
    { line: 5, code: 'SUBSIDY_AMOUNT_INVALID' },
    { line: 6, code: 'SUBSIDY_AMOUNT_INVALID' },
    { line: 7, code: 'SUBSIDY_LINE_DUPLICATE' },
    { line: 8, code: 'SUBSIDY_EXPIRY_PAST' },
    { line: 9, code: 'SUBSIDY_EXPIRY_PAST' },
    { line: 10, code: 'SUBSIDY_LINE_INVALID' },
    { line: 11, code: 'SUBSIDY_LINE_INVALID' },
    { line: 12, code: 'SUBSIDY_LINE_INVALID' },
  ]);
});

test('a header without a column, a batch without lines and an unclosed quote are refused', async (t) => {
  t.deepEqual(await problems(t, 'account,amount,reason,period\n2023010001,1.00,伙食补助,2026-11'), [{ line: 1, code: 'SUBSIDY_LINE_INVALID' }]);
  t.deepEqual(await problems(t, `${HEADER}\n`), [{ line: 1, code: 'SUBSIDY_LINE_INVALID' }]);
  t.deepEqual(await problems(t, `${HEADER}\n2023010001,1.00,"伙食补助,2026-11,2026-12-31\n`), [{ line: 2, code: 'SUBSIDY_LINE_INVALID' }]);
});

/** The gateway's store, ledger and credits on a folder, at a clock the test sets. */
async function gatewayParts(dir: string, clock: { now: number }, log = silentLogger) {
  const store = new LevelStore(dir);
  await store.open();
  const ledger = new CampusLedger(store);
  await new BuiltInOneCard(store).seed([...ACCOUNTS].map((a, i) => ({ campusAccount: a, name: `n${i}`, staffNo: a, asn: `3103000000${a}` })));
  const keys = new KeyStore({ issuer: { load: Buffer.alloc(16, 1), purchase: Buffer.alloc(16, 2), tac: Buffer.alloc(16, 3) }, pinMasterKey: Buffer.alloc(16, 4) });
  const now = () => new Date(clock.now);
  const credits = new CampusCredits({
    store, ledger, keys, purseLimit: 200_000, timeZone: 'Asia/Shanghai', log, loadInDoubt: async () => false, now, expiryRetryMs: 20,
  });
  const subsidies = new SubsidyService({ store, ledger, credits, timeZone: 'Asia/Shanghai', now });
  return { store, ledger, credits, subsidies };
}

// 2026-12-06 12:00 in Asia/Shanghai.
const NOON = Date.parse('2026-12-06T04:00:00Z');

test('a bad batch imports nothing, the same batch twice is refused, a single subsidy is checked as a line is', async (t) => {
  const dir = await tempDir(t);
  const { store, subsidies, credits } = await gatewayParts(dir, { now: NOON });
  t.teardown(() => store.close());
  await t.throwsAsync(subsidies.import(`${HEADER}\n2023010001,1.00,伙食补助,2026-11,2026-12-31\n2099999999,1.00,伙食补助,2026-11,2026-12-31\n`), { code: 'SUBSIDY_BATCH_INVALID' });
  t.deepEqual(await credits.credits.all(), []);
  t.deepEqual(await subsidies.batches(), []);

  const good = `${HEADER}\n2023010001,1.00,伙食补助,2026-11,2026-12-31\n`;
  const batch = await subsidies.import(good, 'a.csv');
  // The same lines saved with other line ends are the same batch.
  const err = await t.throwsAsync(subsidies.import(good.replaceAll('\n', '\r\n'), 'b.csv'), { code: 'SUBSIDY_BATCH_DUPLICATE' });
  t.is((err as QuancunError).details.batchId, batch.batchId);

  await t.throwsAsync(subsidies.issue({ account: '2023010002', amount: '5.00', reason: '补助', period: '2026-11', expires: '2026-12-05' }), { code: 'SUBSIDY_EXPIRY_PAST' });
  await t.throwsAsync(subsidies.issue({ account: '2023010009', amount: '5.00', reason: '补助', period: '2026-11', expires: '2026-12-31' }), { code: 'SUBSIDY_ACCOUNT_UNKNOWN' });
  const single = await subsidies.issue({ account: '2023010002', amount: '5.00', reason: '补助', period: '2026-11', expires: '2026-12-06' });
  t.like(single, { kind: 'single', lines: [{ campusAccount: '2023010002', amount: 500 }] });
  t.is((await subsidies.batches()).length, 2);
});

test('expiry: due ones expire, also at a start after a stop; a MAC2 issued is held for the card; the report balances', async (t) => {
  const dir = await tempDir(t);
  const clock = { now: NOON };
  let parts = await gatewayParts(dir, clock);
  await parts.credits.start();
  const batch = await parts.subsidies.import([
    HEADER,
    '2023010001,100.00,伙食补助,2026-11,2026-12-06',
    '2023010002,20.00,伙食补助,2026-11,2026-12-06',
    '2023010003,5.50,伙食补助,2026-11,2026-12-31',
  ].join('\n'));
  const [first, second, third] = batch.lines.map((l) => l.creditId) as [string, string, string];
  // The second line got its MAC2 (what a kiosk's load.recredit journals) and the card's answer never came.
  const owed = await parts.credits.credits.require(second);
  await parts.credits.credits.advance(owed, 'mac2-issued', { onlineCounter: 3, oldBalance: 0, terminalId: '000000000001', random: '01020304', hostDate: '20261206', hostTime: '120000', mac2: '00000000' });
  t.deepEqual(await parts.credits.expireDue(), [], 'nothing is due before the last day ends');
  parts.credits.stop();
  await parts.store.close();

  // Stopped across 2026-12-07 00:00 (Asia/Shanghai): the first line expires at the next start.
  clock.now = Date.parse('2026-12-06T16:00:00Z');
  parts = await gatewayParts(dir, clock);
  t.teardown(() => parts.store.close());
  await parts.credits.start();
  t.teardown(() => parts.credits.stop());
  t.like(await parts.credits.credits.require(first), { state: 'expired', code: 'SUBSIDY_EXPIRED' });
  t.like(await parts.credits.credits.require(second), { state: 'mac2-issued' }, 'held: only the card can tell whether it applied');
  t.like(await parts.credits.credits.require(third), { state: 'owed' });
  t.like(await parts.ledger.posting(first), { amount: 10_000, status: 'expired', source: 'subsidy' });
  t.deepEqual((await parts.credits.owed('31030000002023010001')).length, 0, 'not offered any more');
  t.like(await parts.credits.owed('31030000002023010002'), [{ pendingId: second, source: 'subsidy', amount: 2000, onlineCounter: 3, oldBalance: 0 }]);

  const report = await parts.subsidies.report();
  t.deepEqual(report.total, {
    issued: { count: 3, amount: 12_550 },
    collected: { count: 0, amount: 0 },
    outstanding: { count: 2, amount: 2550 },
    held: { count: 1, amount: 2000 },
    expired: { count: 1, amount: 10_000 },
    balanced: true,
  });

  // A posting lost: the report says so rather than guessing a column for that line.
  await parts.store.batch([{ type: 'del', key: `ledger/posting/${third}` }]);
  const broken = await parts.subsidies.report();
  t.false(broken.total.balanced);
  t.false(broken.batches[0]!.balanced);
});

test('an expiry the store refused is tried again: the credit expires once the store takes writes', async (t) => {
  const dir = await tempDir(t);
  // A moment before 2026-12-07 00:00 in Asia/Shanghai, the end of the line's last day.
  const clock = { now: Date.parse('2026-12-06T15:59:59.950Z') };
  let failed!: () => void;
  const expiryFailed = new Promise<void>((resolve) => (failed = resolve));
  const log = createLogger({ sink: (_line, record) => void (record.msg === 'credit expiry failed; tried again later' && failed()) });
  const parts = await gatewayParts(dir, clock, log);
  t.teardown(() => parts.store.close());
  await parts.credits.start();
  t.teardown(() => parts.credits.stop());
  const batch = await parts.subsidies.import(`${HEADER}\n2023010001,100.00,伙食补助,2026-11,2026-12-06\n`);
  const id = batch.lines[0]!.creditId;
  // The store refuses reads and writes (closed here, as a disk or a database connection that fails) when it is due.
  await parts.store.close();
  await expiryFailed;
  const expired = new Promise<void>((resolve) => parts.credits.credits.on('changed', (r) => r.id === id && r.state === 'expired' && resolve()));
  clock.now = Date.parse('2026-12-06T16:00:00Z');
  await parts.store.open();
  await expired;
  t.like(await parts.ledger.posting(id), { amount: 10_000, status: 'expired', source: 'subsidy' });
});

test('查询 lists a card\'s credits by source: owed in pending, a TAC that did not verify held at its kiosk, an expired one not at all', async (t) => {
  const clock = { now: NOON };
  const parts = await gatewayParts(await tempDir(t), clock);
  t.teardown(() => parts.store.close());
  const asn = '31030000002023010001';
  const batch = await parts.subsidies.import([HEADER, '2023010001,100.00,伙食补助,2026-11,2026-12-06', '2023010001,20.00,交通补助,2026-11,2026-12-31'].join('\n'));
  const [first, second] = batch.lines.map((l) => l.creditId) as [string, string];
  const owed = await parts.credits.credits.require(second);
  const issued = await parts.credits.credits.advance(owed, 'mac2-issued', {
    onlineCounter: 3, oldBalance: 0, terminalId: '000000000001', random: '01020304', hostDate: '20261206', hostTime: '120000', mac2: '00000000', collector: 'K002',
  });
  await parts.credits.credits.advance(issued, 'tac-failed', { code: 'CARD_TAC_INVALID' });
  clock.now = Date.parse('2026-12-06T16:00:00Z');
  t.like(await parts.credits.expireDue(), [{ id: first }]);
  t.like(await creditRecords(parts.credits, asn), {
    items: [{ txnId: second, kind: 'subsidy', amount: 2000, state: 'held', kioskId: 'K002', card: '310300**********0001' }],
    pending: [],
  });
  t.is((await creditRecords(parts.credits, asn)).items.length, 1);
});

test('a source whose credits never expire (a fee refund) cannot be owed with an expiry; an unregistered source not at all', async (t) => {
  const parts = await gatewayParts(await tempDir(t), { now: NOON });
  t.teardown(() => parts.store.close());
  const refund = { id: 'K001-00000001-refund', source: 'fee-refund' as const, asn: '31030000002023010001', campusAccount: '2023010001', amount: 300 };
  await t.throwsAsync(parts.credits.owe([refund]), { code: 'INTERNAL' });
  parts.credits.register({ source: 'fee-refund' });
  await t.throwsAsync(parts.credits.owe([{ ...refund, expires: '2026-12-31', expiresAt: '2026-12-31T16:00:00.000Z' }]), { code: 'INTERNAL' });
  t.is(await parts.credits.credits.get(refund.id), undefined);
  t.is(await parts.ledger.posting(refund.id), undefined);
  await parts.credits.owe([refund]);
  t.like(await parts.credits.owed(refund.asn), [{ pendingId: refund.id, source: 'fee-refund', amount: 300 }]);
  t.like(await parts.ledger.posting(refund.id), { amount: 300, status: 'pending', source: 'fee-refund' });
});

test('a credit whose MAC2 was issued is listed first: the kiosk writes in this order and stops at the first refused, and any other credit is refused while that one is in doubt', async (t) => {
  const parts = await gatewayParts(await tempDir(t), { now: NOON });
  t.teardown(() => parts.store.close());
  parts.credits.register({ source: 'fee-refund' });
  const asn = '31030000002023010001';
  const batch = await parts.subsidies.issue({ account: '2023010001', amount: '20.00', reason: '伙食补助', period: '2026-11', expires: '2026-12-31' });
  const subsidy = batch.lines[0]!.creditId;
  await parts.credits.credits.advance(await parts.credits.credits.require(subsidy), 'mac2-issued', {
    onlineCounter: 3, oldBalance: 0, terminalId: '000000000001', random: '01020304', hostDate: '20261206', hostTime: '120000', mac2: '00000000',
  });
  // Owed later, and its id ('K…') sorts before the subsidy's ('SUB-…'): a refund of a fee paid while the subsidy was in doubt.
  await parts.credits.owe([{ id: 'K001-00000001-refund', source: 'fee-refund', asn, campusAccount: '2023010001', amount: 300 }]);
  t.deepEqual((await parts.credits.owed(asn)).map((o) => o.pendingId), [subsidy, 'K001-00000001-refund']);
});
