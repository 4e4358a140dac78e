/**
 * The gateway's fee machine over LevelDB on disk, the biller simulator over real HTTP and a virtual card in the
 * simulated reader. MAC1, MAC2 and TAC are the openssl-computed purchase vectors of test/unit/pboc-crypto.test.ts
 * (MPK 0123..3210, MTK 0011..EEFF, ASN 00001234567890123456, random AABBCCDD, offline counter 7, terminal 112233445566,
 * sequence 00010203, 2.50 yuan on 2024-09-15 14:30:05 campus time): MAC1 5C64C6DB, MAC2 F70EE359, TAC 1F75367B.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { fromHex, toHex } from '../../common/bytes.ts';
import type { BillerConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { createLogger, silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { KeyStore } from '../../gateway/keystore/key-store.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { CampusCredits } from '../../gateway/credits/campus-credits.ts';
import { creditRecords } from '../../gateway/credits/credit-records.ts';
import { FeeService } from '../../gateway/fees/fee-service.ts';
import { feeRecords } from '../../gateway/fees/fee-records.ts';
import { CAMPUS_CARD_PROFILE } from '../../runtime/card/card-profile.ts';
import { creditForLoad, debitForPurchase, getBalance, initializeForLoad, initializeForPurchase, selectPurse } from '../../runtime/card/purse.ts';
import { BillerSimulator } from '../../sim/biller/biller-host.ts';
import { personalise } from '../../sim/card/issuance.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { VirtualCard } from '../../sim/card/virtual-card.ts';
import { tempDir } from '../support/temp-dir.ts';

const MASTER = {
  load: fromHex('11223344556677888877665544332211'),
  purchase: fromHex('0123456789ABCDEFFEDCBA9876543210'),
  tac: fromHex('00112233445566778899AABBCCDDEEFF'),
};
const ASN = '00001234567890123456';
const TERMINAL = '112233445566';
const KIOSK = 'K001';
/** 2024-09-15 14:30:05 in Asia/Shanghai. */
const NOW = new Date('2024-09-15T06:30:05Z');

async function setup(t: ExecutionContext, biller: Partial<BillerConfig> = {}, lookedUp?: (kioskId: string, asn: string) => boolean, log = silentLogger) {
  const billers = new BillerSimulator([{ id: 'dorm-power', accounts: [{ account: '3402', holder: '张三', room: '东区3号楼402' }] }]);
  await billers.start();
  t.teardown(() => billers.stop());
  const store = new LevelStore(join(await tempDir(t), 'gateway'));
  await store.open();
  t.teardown(() => store.close());
  const ledger = new CampusLedger(store);
  await new BuiltInOneCard(store).seed([{ campusAccount: '2024001', name: '张三', staffNo: '2024001', asn: ASN }]);
  // The terminal's last sequence: the next fee takes 00010203, the vector's.
  await store.put(`gw/fee-seq/${TERMINAL}`, 0x00010202);
  const keyStore = new KeyStore({ issuer: MASTER, pinMasterKey: Buffer.alloc(16, 4) });
  const keys = keyStore.card;
  const credits = new CampusCredits({
    store, ledger, keys: keyStore, purseLimit: 100_000, timeZone: 'Asia/Shanghai', log: silentLogger, loadInDoubt: async () => false, now: () => NOW,
  });
  const fees = new FeeService({
    store, ledger, keys, credits, timeZone: 'Asia/Shanghai', log, now: () => NOW, ...(lookedUp ? { lookedUp } : {}),
    billers: [{
      id: 'dorm-power', kind: 'dorm-power', name: { zh: '宿舍电费', en: 'Dorm electricity' }, url: billers.url('dorm-power'),
      timeoutMs: 1000, payTries: 3, retryMs: 60_000, maxAmount: 50_000, ...biller,
    }],
  });
  const card = new VirtualCard({
    ...personalise({ masterKeys: MASTER, asn: ASN, balance: 10_000, startDate: '20240901', endDate: '20340831' }),
    onlineCounter: 5, offlineCounter: 7,
  }, { random: () => fromHex('AABBCCDD') });
  const reader = new SimCardReader();
  reader.insert(card);
  const ch = await reader.connect();
  await selectPurse(ch, CAMPUS_CARD_PROFILE);
  return { billers, store, ledger, fees, credits, ch };
}

type Setup = Awaited<ReturnType<typeof setup>>;

/** INITIALIZE FOR PURCHASE of 2.50 and fee.begin with its answer. */
async function begin(s: Setup, account = '3402', amount = 250) {
  const init = await initializeForPurchase(s.ch, { keyIndex: 1, amount, terminalId: fromHex(TERMINAL) });
  return s.fees.begin(KIOSK, {
    txnId: 'K001-00000001', asn: ASN, billerId: 'dorm-power', account, amount, terminalId: TERMINAL,
    card: { balance: init.balance, offlineCounter: init.offlineCounter, keyVersion: init.keyVersion, algId: init.algId, random: toHex(init.random) },
  });
}

/** begin, then DEBIT FOR PURCHASE on the card: its TAC and MAC2. */
async function debited(s: Setup) {
  const mac1 = await begin(s);
  const debit = await debitForPurchase(s.ch, {
    terminalTxSeq: mac1.terminalTxSeq, date: fromHex(mac1.hostDate), time: fromHex(mac1.hostTime), mac1: fromHex(mac1.mac1),
  });
  if (debit.decision !== 'applied') throw debit.error;
  return { mac1, tac: toHex(debit.value.tac), mac2: toHex(debit.value.mac2) };
}

test('MAC1 is the PSAM vector, journaled before it leaves; the card debits; MAC2 and TAC verify; the biller is paid', async (t) => {
  const s = await setup(t);
  const { mac1, tac, mac2 } = await debited(s);
  t.deepEqual(mac1, { mac1: '5C64C6DB', terminalTxSeq: 0x00010203, hostDate: '20240915', hostTime: '143005' });
  t.is(tac, '1F75367B');
  t.is(mac2, 'F70EE359');
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paid', receiptNo: 'R00000001' });
  t.is(await getBalance(s.ch), 9_750);
  t.is(s.billers.received('dorm-power', '3402'), 250);
  t.like(await s.ledger.transfer('K001-00000001'), { amount: 250, from: 'purse', to: 'biller:dorm-power', status: 'final' });
  const record = await s.fees.fees.require('K001-00000001');
  t.deepEqual(record.history.map((h) => h.state), ['mac1-issued', 'debited', 'paying', 'paid']);
  // A repeat of the confirm (a lost answer on the broker) answers the same and pays nothing more.
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paid', receiptNo: 'R00000001' });
  t.is(s.billers.received('dorm-power', '3402'), 250);
});

test('a biller that refuses after the debit leaves the amount owed back, and the refund comes back to the card', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  s.billers.refuseNext('account-closed');
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }),
    { state: 'refund-owed', refundId: 'K001-00000001-refund', code: 'BILLER_REFUSED' });
  t.is(s.billers.received('dorm-power', '3402'), 0);
  t.like(await s.ledger.transfer('K001-00000001'), { status: 'undone', undoneBy: 'K001-00000001-refund' });
  // The refund's posting, written in the same batch: the campus owes the card what the biller did not get.
  t.like(await s.ledger.posting('K001-00000001-refund'), { campusAccount: '2024001', amount: 250, status: 'pending', source: 'fee-refund' });
  // Never credited: listed without a counter, so any kiosk writes it with a first MAC2.
  t.deepEqual(await s.credits.owed(ASN), [{ pendingId: 'K001-00000001-refund', source: 'fee-refund', amount: 250 }]);
  // 查询 lists the fee, refused, and the refund the card is owed.
  t.like((await feeRecords(s.fees.fees, ASN)).items, [{ txnId: 'K001-00000001', kind: 'fee', amount: 250, state: 'refused', kioskId: KIOSK, card: '000012**********3456' }]);
  t.like(await creditRecords(s.credits, ASN), { items: [], pending: [{ txnId: 'K001-00000001-refund', kind: 'fee-refund', amount: 250, kioskId: KIOSK }] });

  const init = await initializeForLoad(s.ch, { keyIndex: 1, amount: 250, terminalId: fromHex(TERMINAL) });
  const fresh = await s.credits.recredit('K002', {
    txnId: 'K001-00000001-refund', terminalId: TERMINAL,
    card: { oldBalance: init.oldBalance, onlineCounter: init.onlineCounter, keyVersion: init.keyVersion, algId: init.algId, random: toHex(init.random), mac1: toHex(init.mac1) },
  });
  // Bound now: a second tap would read the card's counter against 5.
  t.deepEqual(await s.credits.owed(ASN), [{ pendingId: 'K001-00000001-refund', source: 'fee-refund', amount: 250, onlineCounter: 5, oldBalance: 9_750 }]);
  const credit = await creditForLoad(s.ch, { date: fromHex(fresh.hostDate), time: fromHex(fresh.hostTime), mac2: fromHex(fresh.mac2) });
  if (credit.decision !== 'applied') throw credit.error;
  t.deepEqual(await s.credits.confirm('K002', { txnId: 'K001-00000001-refund', tac: toHex(credit.value), newBalance: 10_000, onlineCounter: 5 }),
    { posting: 'final', tacVerified: true });
  t.is(await getBalance(s.ch), 10_000);
  t.like(await s.ledger.posting('K001-00000001-refund'), { amount: 250, status: 'final', source: 'fee-refund' });
  t.deepEqual(await s.credits.owed(ASN), []);
  t.like(await creditRecords(s.credits, ASN), { items: [{ txnId: 'K001-00000001-refund', kind: 'fee-refund', amount: 250, state: 'done', kioskId: 'K002' }], pending: [] });
});

test('the refund is owed in the batch of the fee\'s refund-owed: a refund that cannot be owed leaves the fee where it was', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  // A credit already journaled under the refund's id: the campus credits refuse to owe it again.
  await s.store.put('gw/credit/K001-00000001-refund', { id: 'K001-00000001-refund' });
  s.billers.refuseNext('account-closed');
  await t.throwsAsync(s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { code: 'TXN_STATE' });
  t.is((await s.fees.fees.require('K001-00000001')).state, 'paying', 'refund-owed was not written without its refund');
  t.like(await s.ledger.transfer('K001-00000001'), { status: 'held' });
  t.is(await s.ledger.posting('K001-00000001-refund'), undefined);
});

test('a lost answer is retried with the same payment id: paid once', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  s.billers.loseNextAnswer();
  t.like(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paid' });
  t.is(s.billers.received('dorm-power', '3402'), 250);
  t.is((await s.fees.fees.require('K001-00000001')).payTries, 2);
});

test('a biller down after the debit: every try refused, the amount owed back with BILLER_UNAVAILABLE', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  await s.billers.down();
  t.like(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'refund-owed', code: 'BILLER_UNAVAILABLE' });
  const record = await s.fees.fees.require('K001-00000001');
  t.is(record.payTries, 3);
  t.deepEqual(record.history.map((h) => h.state), ['mac1-issued', 'debited', 'paying', 'paying', 'paying', 'refund-owed']);
});

test('refusals at begin move nothing: unknown room, biller down, unknown biller, amount over the limit or the balance', async (t) => {
  const s = await setup(t, { maxAmount: 5_000 });
  const code = async (p: Promise<unknown>) => ((await t.throwsAsync(p)) as QuancunError).code;
  t.is(await code(begin(s, '9999')), 'BILLER_ACCOUNT_UNKNOWN');
  t.is(await code(begin(s, '3402', 6_000)), 'FEE_AMOUNT_INVALID');
  t.is(await code(s.fees.lookup(KIOSK, { billerId: 'water', account: '3402' })), 'BILLER_UNKNOWN');
  await s.billers.down();
  t.is(await code(begin(s)), 'BILLER_UNAVAILABLE');
  t.is(await code(s.fees.lookup(KIOSK, { billerId: 'dorm-power', account: '3402' })), 'BILLER_UNAVAILABLE');
  t.deepEqual(await s.fees.fees.all(), []);
  t.is(await getBalance(s.ch), 10_000);
  // Over the balance: the card says so at INITIALIZE FOR PURCHASE, before the gateway is asked.
  t.is(await code(initializeForPurchase(s.ch, { keyIndex: 1, amount: 20_000, terminalId: fromHex(TERMINAL) })), 'CARD_BALANCE_INSUFFICIENT');
});

test('a MAC2 that does not verify holds the fee for an operator, and the biller is not paid', async (t) => {
  const s = await setup(t);
  const { tac } = await debited(s);
  const err = await t.throwsAsync(s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2: '00000000' }), { instanceOf: QuancunError });
  t.is(err?.code, 'CARD_MAC_INVALID');
  t.is((await s.fees.fees.require('K001-00000001')).state, 'proof-failed');
  t.is(s.billers.received('dorm-power', '3402'), 0);
});

test('a debit that never reached the card ends not-debited; a counter that moved is refused', async (t) => {
  const s = await setup(t);
  await begin(s);
  await t.throwsAsync(s.fees.abandon(KIOSK, { txnId: 'K001-00000001', offlineCounter: 8 }), { message: /counter moved/ });
  t.deepEqual(await s.fees.abandon(KIOSK, { txnId: 'K001-00000001', offlineCounter: 7 }), { state: 'not-debited' });
  t.is(s.billers.received('dorm-power', '3402'), 0);
  // Another kiosk cannot act on this fee.
  await t.throwsAsync(s.fees.confirm('K002', { txnId: 'K001-00000001', tac: '00000000', mac2: '00000000' }), { message: /another kiosk/ });
});

test('a fee in doubt blocks the card\'s next purchase, and is another kiosk\'s to decide only with the card looked up there and its counter', async (t) => {
  const looked = new Set<string>();
  const s = await setup(t, {}, (kioskId, asn) => looked.has(`${kioskId}/${asn}`));
  await begin(s);
  t.deepEqual(await s.fees.inDoubt(ASN), [{ txnId: 'K001-00000001', billerId: 'dorm-power', amount: 250, offlineCounter: 7 }]);
  await t.throwsAsync(s.fees.begin('K002', {
    txnId: 'K002-00000001', asn: ASN, billerId: 'dorm-power', account: '3402', amount: 250, terminalId: TERMINAL,
    card: { balance: 10_000, offlineCounter: 7, keyVersion: 1, algId: 0, random: 'AABBCCDD' },
  }), { code: 'FEE_IN_DOUBT' });
  // K002 has not had the card on its reader.
  await t.throwsAsync(s.fees.abandon('K002', { txnId: 'K001-00000001', offlineCounter: 7 }), { code: 'TXN_UNKNOWN' });
  looked.add(`K002/${ASN}`);
  await t.throwsAsync(s.fees.abandon('K002', { txnId: 'K001-00000001' }), { code: 'TXN_STATE', message: /counter/ });
  await t.throwsAsync(s.fees.abandon('K002', { txnId: 'K001-00000001', offlineCounter: 8 }), { message: /counter moved/ });
  t.deepEqual(await s.fees.abandon('K002', { txnId: 'K001-00000001', offlineCounter: 7 }), { state: 'not-debited' });
  t.like(await s.fees.fees.require('K001-00000001'), { state: 'not-debited', kioskId: 'K001', decidedBy: 'K002' });
  // Its decision repeats after the card has gone (a recovery); nobody else's is taken.
  looked.clear();
  t.deepEqual(await s.fees.abandon('K002', { txnId: 'K001-00000001', offlineCounter: 7 }), { state: 'not-debited' });
  await t.throwsAsync(s.fees.abandon('K003', { txnId: 'K001-00000001', offlineCounter: 7 }), { code: 'TXN_UNKNOWN' });
  t.deepEqual(await s.fees.inDoubt(ASN), []);
});

test('a gateway stopped while paying resumes at start with the same payment id: the biller that had applied it pays once', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  // The state a stop left: proof verified, `paying` journaled, the biller applied the try but its answer was lost.
  let record = await s.fees.fees.require('K001-00000001');
  record = await s.fees.fees.advance(record, 'debited', { tac, mac2 });
  await s.fees.fees.advance(record, 'paying', { payTries: 1 });
  s.billers.loseNextAnswer();
  await fetch(`${s.billers.url('dorm-power')}/payments`, {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ paymentId: 'K001-00000001', account: '3402', amount: 250 }),
  }).catch(() => undefined);
  t.is(s.billers.received('dorm-power', '3402'), 250);

  await s.fees.resume();
  t.like(await s.fees.fees.require('K001-00000001'), { state: 'paid', receiptNo: 'R00000001', payTries: 2 });
  t.is(s.billers.received('dorm-power', '3402'), 250);
  // The kiosk's confirm, arriving after, answers the same.
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paid', receiptNo: 'R00000001' });
});

test('a fee resumed after its last try asks the biller again with the same payment id', async (t) => {
  const s = await setup(t, { payTries: 1 });
  const { tac, mac2 } = await debited(s);
  let record = await s.fees.fees.require('K001-00000001');
  record = await s.fees.fees.advance(record, 'debited', { tac, mac2 });
  await s.fees.fees.advance(record, 'paying', { payTries: 1 });
  await s.fees.resume();
  t.like(await s.fees.fees.require('K001-00000001'), { state: 'paid', payTries: 2 });
  t.is(s.billers.received('dorm-power', '3402'), 250);
});

/** Resolves with the fee's record once it reaches `state`. */
function reaches(s: Setup, txnId: string, state: string) {
  return new Promise<unknown>((resolve) => {
    const seen = (r: { id: string; state: string }) => {
      if (r.id !== txnId || r.state !== state) return;
      s.fees.fees.off('changed', seen);
      resolve(r);
    };
    s.fees.fees.on('changed', seen);
  });
}

test('a biller that took the payment and stays silent is not refunded: the fee stays paying and is asked again until it answers', async (t) => {
  const s = await setup(t, { timeoutMs: 1000, retryMs: 100 });
  t.teardown(() => s.fees.stop());
  const { tac, mac2 } = await debited(s);
  // Each answer comes after the gateway stopped waiting; the payment itself is applied at the first try.
  s.billers.slow(2500);
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paying', code: 'BILLER_UNAVAILABLE' });
  t.like(await s.fees.fees.require('K001-00000001'), { state: 'paying', payTries: 3 });
  t.is(await s.ledger.posting('K001-00000001-refund'), undefined, 'no refund owed for a payment the biller may have');
  t.like(await s.ledger.transfer('K001-00000001'), { status: 'held' });
  // A repeated confirm answers the state it is in.
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paying', code: 'BILLER_UNAVAILABLE' });
  const paid = reaches(s, 'K001-00000001', 'paid');
  s.billers.slow(0);
  t.like(await paid, { state: 'paid', receiptNo: 'R00000001' });
  t.is(s.billers.received('dorm-power', '3402'), 250, 'paid once, with the same payment id');
  t.like(await s.ledger.transfer('K001-00000001'), { status: 'final' });
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paid', receiptNo: 'R00000001' });
});

test('a retry whose journal write the store refused is asked again: the fee is paid once the store takes writes', async (t) => {
  let failed!: () => void;
  const retryFailed = new Promise<void>((resolve) => (failed = resolve));
  const log = createLogger({ sink: (_line, record) => void (record.msg === 'fee payment retry failed; asked again later' && failed()) });
  const s = await setup(t, { timeoutMs: 1000, retryMs: 100 }, undefined, log);
  t.teardown(() => s.fees.stop());
  const { tac, mac2 } = await debited(s);
  s.billers.slow(2500);
  t.deepEqual(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'paying', code: 'BILLER_UNAVAILABLE' });
  // The store stops taking writes (closed here, as a disk or a database connection that fails): the next try cannot be journaled.
  await s.store.close();
  await retryFailed;
  await s.store.open();
  const paid = reaches(s, 'K001-00000001', 'paid');
  s.billers.slow(0);
  t.like(await paid, { state: 'paid', receiptNo: 'R00000001' });
  t.is(s.billers.received('dorm-power', '3402'), 250, 'paid once, with the same payment id');
});

test('a fee a stop left paying is not owed back while its biller is down: the interrupted try may have been applied', async (t) => {
  const s = await setup(t, { retryMs: 100 });
  t.teardown(() => s.fees.stop());
  const { tac, mac2 } = await debited(s);
  let record = await s.fees.fees.require('K001-00000001');
  record = await s.fees.fees.advance(record, 'debited', { tac, mac2 });
  await s.fees.fees.advance(record, 'paying', { payTries: 1 });
  await s.billers.down();
  await s.fees.resume();
  t.like(await s.fees.fees.require('K001-00000001'), { state: 'paying', payTries: 2 });
  t.is(await s.ledger.posting('K001-00000001-refund'), undefined);
  const paid = reaches(s, 'K001-00000001', 'paid');
  await s.billers.up();
  await paid;
  t.is(s.billers.received('dorm-power', '3402'), 250);
});

test('a payment refused after its answer was lost is owed back: the refusal is the biller\'s definite word', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  s.billers.refuseNext('account-closed');
  s.billers.loseNextAnswer();
  t.like(await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 }), { state: 'refund-owed', code: 'BILLER_REFUSED' });
  t.like(await s.fees.fees.require('K001-00000001'), { payTries: 2 });
  t.like(await s.ledger.posting('K001-00000001-refund'), { status: 'pending', amount: 250 });
});


test('fees in doubt are read from the card\'s index; a store from before the index has its fees in doubt indexed once at start', async (t) => {
  const s = await setup(t);
  await begin(s);
  const listed = [{ txnId: 'K001-00000001', billerId: 'dorm-power', amount: 250, offlineCounter: 7 }];
  t.deepEqual(await s.fees.inDoubt(ASN), listed);
  t.deepEqual(await s.fees.inDoubt('00001234567890123457'), [], 'another card has none');
  // As a store written before the index: the fee is journaled mac1-issued, its entry is not there, nor the marker.
  await s.store.batch([{ type: 'del', key: `gw/card-fee/${ASN}/K001-00000001` }]);
  t.deepEqual(await s.fees.inDoubt(ASN), [], 'the index, not a scan of every fee, is what is read');
  await s.fees.start();
  t.deepEqual(await s.fees.inDoubt(ASN), listed);
  // Once: a later start does not scan again.
  await s.store.batch([{ type: 'del', key: `gw/card-fee/${ASN}/K001-00000001` }]);
  await s.fees.start();
  t.deepEqual(await s.fees.inDoubt(ASN), []);
});

test('a fee leaves the card\'s index of fees in doubt in the batch of its next state', async (t) => {
  const s = await setup(t);
  const { tac, mac2 } = await debited(s);
  t.is((await s.fees.inDoubt(ASN)).length, 1, 'debited on the card, not yet confirmed: still in doubt');
  await s.fees.confirm(KIOSK, { txnId: 'K001-00000001', tac, mac2 });
  t.deepEqual(await s.fees.inDoubt(ASN), []);
  t.deepEqual(await s.store.list(`gw/card-fee/${ASN}/`), []);
});
