/**
 * Reconciliation's matching and classification on hand-made journals and bank lines, with a resolver that records
 * what it is asked to do: both directions of matching, every class, which resolutions are automatic and when they are
 * not (no kiosk journal, a torn credit, a bank that does not confirm), and that an earlier run's resolutions are
 * reported and never applied twice.
 */
import test from 'ava';
import { businessDay } from '../../gateway/loads/gateway-load-machine.ts';
import { QuancunError } from '../../common/errors.ts';
import type { BankFileRecord } from '../../gateway/reconcile/bank-file.ts';
import { reconcile, type KioskLoadView, type PriorResolution, type ReconcileInput, type Resolver } from '../../gateway/reconcile/reconcile.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import type { TransferRecord, TransferState } from '../../gateway/transfers/transfer-machine.ts';

// Noon in Beijing on the day, and the day before.
const ZONE = 'Asia/Shanghai';
const DAY = '2026-11-28';
const AT = new Date(Date.UTC(2026, 10, 28, 4, 0, 0)).toISOString();
const YESTERDAY = new Date(Date.UTC(2026, 10, 27, 4, 0, 0)).toISOString();

function load(stan: number, state: GatewayLoadState, o: Partial<GatewayLoadRecord> = {}): GatewayLoadRecord {
  const approved = !['received', 'rejected', 'bank-pending', 'declined'].includes(state) || o.bankRef !== undefined;
  return {
    id: `K001-${String(stan).padStart(8, '0')}`, state, kioskId: 'K001', campusAccount: '2023010001', bankId: 'b1', asn: 'A', amount: 1000,
    terminalId: '000000000001', oldBalance: 0, onlineCounter: 1, random: '00', stan, ...(approved ? { bankRef: `R${stan}` } : {}),
    history: [{ state: 'received', at: AT }, { state: 'bank-pending', at: AT }], updatedAt: AT, ...o,
  };
}

const line = (stan: number, kind: BankFileRecord['kind'] = 'transfer', amount = 1000): BankFileRecord => ({
  kind, date: '', time: '', terminalId: '', campusAccount: '2023010001', pan: '6217000010000000018', stan, bankRef: `R${stan}`, campusRef: '', amount,
});

function resolver(answers: { reverse?: 'reversed' | 'not-found' | null; confirm?: boolean } = {}) {
  const calls: string[] = [];
  const r: Resolver = {
    reverse: async (l) => (calls.push(`reverse ${l.stan}`), answers.reverse === undefined ? 'reversed' : answers.reverse),
    confirm: async (l, k) => (calls.push(`confirm ${l.stan} ${k.tac}`), answers.confirm ?? true),
    park: async (l) => void calls.push(`park ${l.stan}`),
  };
  return { r, calls };
}

const input = (o: Partial<ReconcileInput>): ReconcileInput =>
  ({ bankRecords: [], loads: [], date: DAY, timeZone: ZONE, postings: new Map(), kioskLoads: new Map(), prior: new Map(), ...o });
const kiosk = (stan: number, state: string, o: Partial<KioskLoadView> = {}): [string, KioskLoadView] =>
  [`K001-${String(stan).padStart(8, '0')}`, { id: `K001-${String(stan).padStart(8, '0')}`, kioskId: 'K001', state, ...o }];
const summary = (ds: Array<{ class: string; stan: number; status: string }>) => ds.map((d) => `${d.stan} ${d.class} ${d.status}`);

test('matched loads, declines and confirmed reversals are no difference; the rest is classified both ways', async (t) => {
  const { r, calls } = resolver();
  const { differences, resolutions } = await reconcile(input({
    loads: [
      load(1, 'completed'), // matched
      load(2, 'declined'), // no debit on either side
      load(3, 'reversed'), // the bank lists the transfer and its reversal
      load(4, 'completed'), // the bank has no line: campus-only
      load(5, 'completed'), // different amount
      load(6, 'declined'), // the bank debited anyway: bank-only
      load(8, 'completed'), // the bank reversed it: campus-only
      load(9, 'completed', { history: [{ state: 'bank-pending', at: YESTERDAY }], updatedAt: YESTERDAY }), // another day, not in this file
    ],
    bankRecords: [line(1), line(3), line(3, 'reversal'), line(5, 'transfer', 1100), line(6), line(7), line(8), line(8, 'reversal')],
  }), r);
  t.deepEqual(summary(differences), ['4 campus-only open', '5 amount-mismatch open', '6 bank-only open', '7 bank-only open', '8 campus-only open']);
  t.like(differences[1], { campusAmount: 1000, bankAmount: 1100, txnId: 'K001-00000005', gatewayState: 'completed' });
  t.like(differences[3], { txnId: null, bankAmount: 1000, gatewayState: null });
  t.deepEqual(calls, []);
  t.deepEqual(resolutions, []);
});

test("a load's business day is the campus's date when it was sent, whatever the machine's zone", (t) => {
  const sent = (at: number) => load(1, 'completed', { history: [{ state: 'bank-pending', at: new Date(at).toISOString() }] });
  // 23:59:59 Beijing on the 5th is 15:59:59 UTC on the 5th; 00:00:01 Beijing on the 6th is still the 5th in UTC.
  t.is(businessDay(sent(Date.UTC(2026, 11, 5, 15, 59, 59)), ZONE), '2026-12-05');
  t.is(businessDay(sent(Date.UTC(2026, 11, 5, 16, 0, 1)), ZONE), '2026-12-06');
  t.is(businessDay(sent(Date.UTC(2026, 11, 5, 16, 0, 1)), 'America/New_York'), '2026-12-05');
});

test('a load sent after midnight on campus is not in the day before, though it is in UTC', async (t) => {
  const late = load(2, 'completed', { history: [{ state: 'bank-pending', at: new Date(Date.UTC(2026, 10, 28, 16, 0, 1)).toISOString() }] });
  const { differences } = await reconcile(input({ loads: [load(1, 'completed'), late], bankRecords: [line(1)] }), resolver().r);
  t.deepEqual(differences, []); // the 29th's load: its bank line comes in the 29th's file
});

test('a debit the card may or may not hold: the kiosk journal decides what is safe', async (t) => {
  const { r, calls } = resolver();
  const { differences } = await reconcile(input({
    loads: [load(1, 'mac2-issued'), load(2, 'mac2-issued'), load(3, 'mac2-issued'), load(4, 'pending-load'), load(5, 'tac-failed')],
    bankRecords: [1, 2, 3, 4, 5].map((s) => line(s)),
    kioskLoads: new Map([kiosk(1, 'credited', { tac: 'AABBCCDD' }), kiosk(2, 'authorized'), kiosk(3, 'torn')]),
  }), r);
  t.deepEqual(summary(differences), [
    '1 card-credited-without-final-posting resolved', '2 pending-load resolved', '3 pending-load open', '4 pending-load resolved',
    '5 card-credited-without-final-posting open',
  ]);
  t.deepEqual(calls, ['confirm 1 AABBCCDD', 'park 2']);
  t.regex(differences[2]!.action, /torn: the card decides/);
});

test('without kiosk journals nothing that needs one is resolved', async (t) => {
  const { r, calls } = resolver();
  const { differences } = await reconcile(input({ loads: [load(1, 'mac2-issued')], bankRecords: [line(1)], kioskLoads: null }), r);
  t.deepEqual(summary(differences), ['1 pending-load open']);
  t.regex(differences[0]!.action, /no kiosk journal/);
  t.deepEqual(calls, []);
});

test('a reversal the bank has not confirmed is sent again, whether the file shows the debit or not', async (t) => {
  const { r, calls } = resolver();
  const { differences } = await reconcile(input({
    loads: [load(1, 'reversing'), load(2, 'reversing'), load(3, 'reversed')],
    bankRecords: [line(1), line(3)],
  }), r);
  t.deepEqual(summary(differences), ['1 reversal-unconfirmed resolved', '2 reversal-unconfirmed resolved', '3 reversal-unconfirmed resolved']);
  t.deepEqual(calls, ['reverse 1', 'reverse 2', 'reverse 3']);

  const refused = resolver({ reverse: null, confirm: false });
  const again = await reconcile(input({
    loads: [load(1, 'reversing'), load(2, 'mac2-issued')], bankRecords: [line(1), line(2)],
    kioskLoads: new Map([kiosk(2, 'completed', { tac: '00000000' })]),
  }), refused.r);
  t.deepEqual(summary(again.differences), ['1 reversal-unconfirmed open', '2 card-credited-without-final-posting open']);
  t.deepEqual(again.resolutions, []);

  // "Never had it" (25) closes a reversal the file does not contradict, not one whose debit the file shows.
  const notFound = resolver({ reverse: 'not-found' });
  const answered = await reconcile(input({ loads: [load(1, 'reversing'), load(2, 'reversing')], bankRecords: [line(1)] }), notFound.r);
  t.deepEqual(summary(answered.differences), ['1 reversal-unconfirmed open', '2 reversal-unconfirmed resolved']);
  t.regex(answered.differences[0]!.action, /never had the transfer, yet its file shows the debit/);

  const down: Resolver = { ...refused.r, reverse: async () => { throw new QuancunError('BANK_UNAVAILABLE'); } };
  const unreachable = await reconcile(input({ loads: [load(1, 'reversing')], bankRecords: [line(1)] }), down);
  t.like(unreachable.differences, [{ class: 'reversal-unconfirmed', status: 'open' }]);
  t.regex(unreachable.differences[0]!.action, /\(the automatic resolution failed: BANK_UNAVAILABLE\)$/);
});

test('what an earlier run resolved is reported with its class and never done twice', async (t) => {
  const prior: PriorResolution = { stan: 1, class: 'reversal-unconfirmed', action: 'reversal sent again and confirmed by the bank', at: AT };
  const { r, calls } = resolver();
  const first = await reconcile(input({ loads: [load(1, 'reversing')], bankRecords: [line(1)] }), r, () => new Date(AT));
  t.deepEqual(first.resolutions, [prior]);
  // Now the journal says reversed and nothing differs any more, but the day's report keeps it.
  const second = await reconcile(input({ loads: [load(1, 'reversed')], bankRecords: [line(1), line(1, 'reversal')], prior: new Map([[1, prior]]) }), r);
  t.deepEqual(second.differences, [{
    class: 'reversal-unconfirmed', status: 'resolved', stan: 1, txnId: 'K001-00000001', campusAmount: 1000, bankAmount: 1000, bankRef: 'R1',
    gatewayState: 'reversed', kioskState: null, posting: null, action: 'reversal sent again and confirmed by the bank',
  }]);
  t.deepEqual(second.resolutions, []);
  t.deepEqual(calls, ['reverse 1']);
});

function transfer(stan: number, state: TransferState, amount = 1000): TransferRecord {
  return {
    id: `TR-20261128-1-${String(stan).padStart(4, '0')}`, state, runId: '20261128-1', campusAccount: '2023010001', asn: 'A', bankId: 'b1',
    amount, rule: 'monthly:28', period: '2026-11', stan, ...(state === 'credit-owed' || state === 'reversing' ? { bankRef: `R${stan}` } : {}),
    history: [{ state: 'planned', at: AT }, { state: 'bank-pending', at: AT }], updatedAt: AT,
  };
}

test('standing transfers are matched beside the loads by STAN, not reported bank-only; their own differences are classified', async (t) => {
  const { r, calls } = resolver();
  const { differences } = await reconcile(input({
    loads: [load(1, 'completed')],
    transfers: [
      transfer(2, 'credit-owed'), // matched
      transfer(3, 'declined'), // no debit on either side
      transfer(4, 'credit-owed'), // the bank has no line: campus-only
      transfer(5, 'reversing'), // the bank still shows the debit: its queue's reversal is not confirmed yet
      transfer(6, 'credit-owed', 2000), // different amount
    ],
    bankRecords: [line(1), line(2), line(5), line(6)],
  }), r);
  t.deepEqual(summary(differences), ['4 campus-only open', '5 reversal-unconfirmed open', '6 amount-mismatch open']);
  t.like(differences[0], { txnId: 'TR-20261128-1-0004', gatewayState: 'credit-owed', kioskState: null });
  t.deepEqual(calls, [], "a transfer's reversal is its own queue's, not reconciliation's");
});
