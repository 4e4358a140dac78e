/**
 * The gateway's store stops taking writes while the bank applies a transfer (a disk, or a database connection,
 * failing under a running gateway), so its outcome cannot be journaled: a load's (the kiosk is answered with a
 * refusal and tells the cardholder nothing was loaded) or a standing order's in a batch run. Either way the debit
 * must not stand: the gateway reverses it once its store takes writes again, without a restart.
 * The store is the gateway's LevelDB (a data folder of the test's own), closed and opened again in this process.
 */
import test from 'ava';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';
import { tempDir } from '../support/temp-dir.ts';
import { ZHANG } from '../support/torn-load.ts';

const AMOUNT = 5000;

test('the store refuses the writes after the bank debited: the kiosk is told no, and the debit is reversed once the store is back', async (t) => {
  const system = await startTestSystem(t, {
    dataDir: await tempDir(t, 'quancun-system-'),
    edit: (c) => void (c.reversals = { minMs: 50, maxMs: 400 }),
  });
  const { gateway, bank } = system;
  // The 0200 is answered 300 ms late; the store closes as it arrives, so every write after bank-pending is refused.
  bank.setBehaviour({ latencyMs: 300 }, { ops: ['transfer'], count: 1 });
  let closed: Promise<void> | undefined;
  bank.on('request', (e) => {
    if (e.op === 'transfer' && !closed) closed = gateway.store.close();
  });

  const outcome = await loadAt(system, 'K001', ZHANG, AMOUNT);
  t.like(outcome, { state: 'declined', code: 'JOURNAL_UNAVAILABLE', cardBefore: ZHANG.card, cardAfter: ZHANG.card });
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank - AMOUNT, 'the bank applied the transfer');
  t.like(bank.log.filter((e) => e.op === 'transfer'), [{ responseCode: '00' }]);

  await closed;
  const confirmed = new Promise<string>((resolve) => gateway.loads.reversals.once('confirmed', resolve));
  await gateway.store.open();
  t.is(await confirmed, outcome.txnId);
  t.like(await gateway.loads.loads.require(outcome.txnId), { state: 'reversed', code: 'JOURNAL_UNAVAILABLE', reversalReason: '98' });
  t.like(bank.log.filter((e) => e.op === 'reversal'), [{ mti: '0400', reason: '98', responseCode: '00' }]);
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank, 'the debit was reversed');
  t.is(system.cards.get(ZHANG.asn)!.state().balance, ZHANG.card);
  const { kiosk } = system.kiosks.get('K001')!;
  t.like(await kiosk.journal.loads.require(outcome.txnId), { state: 'declined', outcome: 'not-debited' });
  t.like(await gateway.ledger.posting(outcome.txnId), { status: 'reversed' });
});

test('the store refuses the writes after the bank applied a standing transfer: the run fails, and the debit is reversed once the store is back', async (t) => {
  const system = await startTestSystem(t, {
    dataDir: await tempDir(t, 'quancun-system-'),
    edit: (c) => void (c.reversals = { minMs: 50, maxMs: 400 }),
  });
  const { gateway, bank } = system;
  const { transfers } = gateway;
  await transfers.orders.add({ campusAccount: '2023010001', amount: AMOUNT, rule: { kind: 'monthly', day: 1 } });
  bank.setBehaviour({ latencyMs: 300 }, { ops: ['standingTransfer'], count: 1 });
  let closed: Promise<void> | undefined;
  bank.on('request', (e) => {
    if (e.op === 'standingTransfer' && !closed) closed = gateway.store.close();
  });

  await t.throwsAsync(transfers.run('test'), { code: 'JOURNAL_UNAVAILABLE' } as never);
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank - AMOUNT, 'the bank applied the transfer');

  await closed;
  const confirmed = new Promise<string>((resolve) => transfers.reversals.once('confirmed', resolve));
  await gateway.store.open();
  const reversedId = await confirmed;
  t.like(await transfers.transfers.require(reversedId), { state: 'reversed', code: 'JOURNAL_UNAVAILABLE', reversalReason: '98' });
  t.like(bank.log.filter((e) => e.op === 'standingReversal'), [{ reason: '98', responseCode: '00' }]);
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank, 'the debit was reversed');
  t.deepEqual(await gateway.credits.open(ZHANG.asn), [], 'the card is owed nothing');
});
