/**
 * The kiosk's fee machine after a restart (recoverFee), on a journal on disk with a gateway that answers as written
 * here: a fee whose DEBIT was never sent ends with nothing moved (and the gateway told), a debited one is confirmed,
 * and one whose DEBIT was sent stays undecided — never a refusal. Final states go to the outbox in the same batch.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import type { EventPayload, OpName } from '../../common/api/topics.ts';
import { silentLogger } from '../../common/log.ts';
import { recoverFee } from '../../runtime/flows/fee/fee-flow.ts';
import type { FeeRecord, FeeState } from '../../runtime/flows/fee/fee-machine.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import type { KioskLink } from '../../runtime/link/kiosk-link.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A gateway that answers fee.confirm and fee.abandon, recording what it was asked. */
function gateway(confirm: { state: 'paid' | 'refund-owed' | 'paying'; receiptNo?: string; refundId?: string; code?: 'BILLER_REFUSED' | 'BILLER_UNAVAILABLE' }) {
  const asked: Array<{ op: OpName; data: unknown }> = [];
  const link = {
    online: true,
    async request(op: OpName, data: unknown) {
      asked.push({ op, data });
      if (op === 'fee.confirm') return confirm;
      if (op === 'fee.abandon') return { state: 'not-debited' };
      throw new Error(`unexpected ${op}`);
    },
  } as unknown as KioskLink;
  return { link, asked };
}

/** A fee journaled in `state`, as a crash left it (the states before it in its history). */
async function leftIn(t: ExecutionContext, state: FeeState, path: FeeState[]) {
  const journal = new KioskJournal(join(await tempDir(t), 'journal'), 'K001', silentLogger);
  await journal.open();
  t.teardown(() => journal.close());
  let rec: FeeRecord = await journal.fees.create({
    id: 'K001-00000001', state: 'created', kind: 'fee', billerId: 'dorm-power', account: '3402', amount: 300,
    terminalId: '000000000001', asn: '31030000002023010001', cardBefore: 1000,
  });
  for (const next of state === 'created' ? [] : [...path, state]) {
    rec = await journal.fees.advance(rec, next, next === 'debited' ? { tac: '1F75367B', mac2: 'F70EE359', cardAfter: 700 } : {});
  }
  return { journal, rec };
}

const reports = async (j: KioskJournal) => (await j.outbox.pending()).map((e) => e.payload as EventPayload<'txn'>);

test('created: nothing was sent; declined without asking the gateway', async (t) => {
  const { journal, rec } = await leftIn(t, 'created', []);
  const { link, asked } = gateway({ state: 'paid' });
  t.like(await recoverFee({ link, journal }, rec), { state: 'declined', code: 'INTERNAL' });
  t.deepEqual(asked, []);
  t.like((await reports(journal))[0], { txnId: 'K001-00000001', kind: 'fee', state: 'declined', amount: 300 });
});

test('beginning: MAC1 may have been issued but DEBIT was never sent; the gateway is told, nothing moved', async (t) => {
  const { journal, rec } = await leftIn(t, 'beginning', []);
  const { link, asked } = gateway({ state: 'paid' });
  const ended = await recoverFee({ link, journal }, rec);
  t.is(ended.state, 'not-debited');
  t.deepEqual(ended.history.map((h) => h.state), ['created', 'beginning', 'abandoning', 'not-debited']);
  t.deepEqual(asked, [{ op: 'fee.abandon', data: { txnId: 'K001-00000001' } }]);
});

test('debiting: the DEBIT may have reached the card; torn and undecided in one recovery, the gateway not asked to undo anything', async (t) => {
  const { journal, rec } = await leftIn(t, 'debiting', ['beginning']);
  const { link, asked } = gateway({ state: 'paid' });
  const ended = await recoverFee({ link, journal }, rec);
  t.like(ended, { state: 'undecided', code: 'INTERNAL' });
  t.deepEqual(ended.history.map((h) => h.state), ['created', 'beginning', 'debiting', 'torn', 'undecided']);
  t.deepEqual(asked, []);
  t.like((await reports(journal))[0], { state: 'undecided', kind: 'fee' });
});

test('debited: the card holds the debit; fee.confirm with its TAC and MAC2 ends it paid, refund-owed or biller-pending', async (t) => {
  const paid = await leftIn(t, 'debited', ['beginning', 'debiting']);
  const g1 = gateway({ state: 'paid', receiptNo: 'R00000007' });
  t.like(await recoverFee({ link: g1.link, journal: paid.journal }, paid.rec), { state: 'completed', receiptNo: 'R00000007' });
  t.deepEqual(g1.asked, [{ op: 'fee.confirm', data: { txnId: 'K001-00000001', tac: '1F75367B', mac2: 'F70EE359' } }]);
  t.like((await reports(paid.journal))[0], { state: 'completed', tac: '1F75367B' });

  const owed = await leftIn(t, 'debited', ['beginning', 'debiting']);
  const g2 = gateway({ state: 'refund-owed', refundId: 'K001-00000001-refund', code: 'BILLER_REFUSED' });
  t.like(await recoverFee({ link: g2.link, journal: owed.journal }, owed.rec), { state: 'refund-owed', refundId: 'K001-00000001-refund', code: 'BILLER_REFUSED' });

  // The biller has not answered a payment it may have applied: the gateway keeps asking; the kiosk's part is done.
  const silent = await leftIn(t, 'debited', ['beginning', 'debiting']);
  const g3 = gateway({ state: 'paying', code: 'BILLER_UNAVAILABLE' });
  t.like(await recoverFee({ link: g3.link, journal: silent.journal }, silent.rec), { state: 'biller-pending', code: 'BILLER_UNAVAILABLE' });
  t.like((await reports(silent.journal))[0], { state: 'biller-pending', kind: 'fee', amount: 300 });
});
