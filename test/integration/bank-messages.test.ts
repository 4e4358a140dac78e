/**
 * What the gateway keeps of its bank links, against the bank host simulator over real TCP on loopback: every message
 * written and read, decoded with the card number masked and the PIN block and working keys not kept, the answers with
 * their answer times, by transaction and by bank; and the session as an operator sees and drives it (state, signed on
 * since, line check now, sign on again, an unreachable bank).
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';
import { encryptPinBlock, pan12FromPan, pinBlockFormat0 } from '../../common/crypto/pin-block.ts';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { bankProfilePath, type BankConnection } from '../../gateway/banks.ts';
import { BankKeys } from '../../gateway/bank/bank-keys.ts';
import { BankLink } from '../../gateway/bank/bank-link.ts';
import { BankSessions } from '../../gateway/bank/bank-sessions.ts';
import { IsoJournal } from '../../gateway/bank/iso-journal.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import type { SettlementRecord } from '../../gateway/settlement/settlement-service.ts';
import { BankHostSimulator } from '../../sim/bank/bank-host.ts';
import { memoryStans } from '../support/memory-stans.ts';
import { tempDir } from '../support/temp-dir.ts';

const TMK = Buffer.from('C8D9EAFB0C1D2E3F405162738495A6B7', 'hex');
const KIOSK_PIN_KEY = Buffer.from('A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8', 'hex');
const PAN = '6217000010000000018';
const TERMINAL = { terminalId: 'QC000001', merchantId: '898310048990001' };
const HOUR = 3_600_000;

async function setup(t: ExecutionContext, profileId = 'unionpay', settlements: SettlementRecord[] = []) {
  const profile = loadBankProfile(bankProfilePath(profileId));
  const bank = new BankHostSimulator({ profile, tmk: TMK, accounts: [{ pan: PAN, balance: 500000, pin: '123456' }] });
  await bank.start();
  const store = new LevelStore(join(await tempDir(t), 'gw'), { log: silentLogger });
  await store.open();
  const iso = new IsoJournal(store, { log: silentLogger });
  const keys = new BankKeys({ tmk: TMK });
  const link = new BankLink({
    profile, keys, ...bank.address(), ...TERMINAL, stanStore: memoryStans(), onMessage: iso.tap('bank1'),
    session: { signOnEveryMs: HOUR, echoEveryMs: HOUR }, timeouts: { responseMs: 300, reconnectMinMs: 10, reconnectMaxMs: 50 },
  });
  const banks = new Map<string, BankConnection>([['bank1', { id: 'bank1', link, stans: undefined as never, ...TERMINAL }]]);
  const sessions = new BankSessions({ banks, iso, settlements: { all: async () => settlements }, timeZone: 'Asia/Shanghai' });
  t.teardown(async () => {
    await link.close();
    await bank.stop();
    await iso.stop();
    await store.close();
  });
  const pinBlock = () => keys.translatePinIn(KIOSK_PIN_KEY, encryptPinBlock(KIOSK_PIN_KEY, pinBlockFormat0('123456', pan12FromPan(PAN))));
  return { bank, store, iso, link, sessions, pinBlock };
}

for (const profileId of ['unionpay', 'ascii-x919']) {
  test(`${profileId}: a transfer and its reversal are kept by transaction, masked, with answer times; no full PAN or PIN block is stored`, async (t) => {
    const { store, iso, link, pinBlock } = await setup(t, profileId);
    await link.startSession();
    const block = pinBlock();
    await link.transfer({ pan: PAN, amount: 1000, pinBlock: block, ...TERMINAL, campusRef: 'K001-00000007', stan: 2 });
    await link.reverse({ pan: PAN, amount: 1000, ...TERMINAL, campusRef: 'K001-00000007', stan: 2 }, '96');

    const story = await iso.forTxn('K001-00000007');
    t.deepEqual(story.map((m) => [m.direction, m.mti, m.op, m.stan, m.responseCode]), [
      ['sent', '0200', 'transfer', '000002', undefined],
      ['received', '0210', 'transfer', '000002', '00'],
      ['sent', '0400', 'reversal', '000002', undefined],
      ['received', '0410', 'reversal', '000002', '00'],
    ]);
    for (const m of story) {
      t.is(m.campusRef, 'K001-00000007');
      t.like(m.fields.find((f) => f.no === 2), { value: '621700*********0018', hidden: 'masked' });
      t.is(typeof m.answerMs === 'number', m.direction === 'received');
    }
    t.like(story[0]!.fields.find((f) => f.no === 52), { value: '(PIN block, not kept)', hidden: 'not kept' });
    t.regex(story[0]!.fields.find((f) => f.no === 64)!.value, /^[0-9A-F]{16}$/);
    t.true(story[1]!.answerMs! >= 0);

    const session = await iso.forBank('bank1');
    t.deepEqual(session.map((m) => m.mti), ['0800', '0810', '0200', '0210', '0400', '0410']);
    t.like(session[1]!.fields.find((f) => f.no === 62), { value: '(working keys, not kept)' });
    t.deepEqual((await iso.forBank('bank1', { newestFirst: true, limit: 2 })).map((m) => m.mti), ['0410', '0400']);

    const kept = JSON.stringify(await store.list('iso/'));
    t.false(kept.includes(PAN));
    t.false(kept.toUpperCase().includes(block.toString('hex').toUpperCase()));
  });
}

test('the session as an operator sees it: signed on since, a line check now, one that fails, sign on again', async (t) => {
  const { bank, sessions } = await setup(t);
  t.like(sessions.get('bank1'), { state: 'signed-off', signedOnSince: null, lastLineCheck: null, profile: 'unionpay', terminalId: 'QC000001' });
  const before = new Date().toISOString();
  const changed = once(sessions, 'change');
  const signedOn = await sessions.signOnAgain('bank1');
  t.like((await changed)[0], { bankId: 'bank1' });
  t.is(signedOn.state, 'signed-on');
  t.true(signedOn.signedOnSince! >= before);

  const ok = await sessions.lineCheckNow('bank1');
  t.like(ok, { ok: true });
  t.deepEqual(sessions.get('bank1').lastLineCheck, ok);

  bank.setBehaviour({ silence: true }, { count: 1 });
  const failed = await sessions.lineCheckNow('bank1');
  t.like(failed, { ok: false, code: 'BANK_TIMEOUT' });
  t.deepEqual(sessions.get('bank1').lastLineCheck, failed);

  const since = signedOn.signedOnSince;
  const again = await sessions.signOnAgain('bank1');
  t.is(again.state, 'signed-on');
  t.is(again.signedOnSince, since, 'a sign-on within the session renews its keys, not its start');
  t.like(await sessions.answerTimes('bank1'), { bankId: 'bank1', count: 3 }); // two sign-ons and the echo answered; the silent one has none
});

test('a bank that cannot be reached shows as unreachable, and sign on again says why', async (t) => {
  const { bank, sessions } = await setup(t);
  await bank.stop();
  await t.throwsAsync(sessions.signOnAgain('bank1'), { code: 'BANK_UNAVAILABLE' });
  t.is(sessions.get('bank1').state, 'unreachable');
  await t.throwsAsync(async () => sessions.get('nope'), { code: 'BANK_UNKNOWN' });
  await t.throwsAsync(async () => sessions.answerTimes('bank1', '2025-13-01'), { code: 'QUERY_INVALID' });
});

test('settlement runs, newest first, with whether the bank balanced', async (t) => {
  const run = (batch: number, state: SettlementRecord['state'], closedAt: string): SettlementRecord => ({
    id: `bank1-00000${batch}`, bankId: 'bank1', batch, state, openedAt: '2025-09-01T00:00:00.000Z', closedAt, updatedAt: closedAt,
    history: [], totals: { debitAmount: 3000, debitCount: 2, creditAmount: 0, creditCount: 0 }, txnIds: ['K001-1', 'K001-2'],
  });
  const { sessions } = await setup(t, 'unionpay', [
    run(1, 'balanced', '2025-09-01T15:30:00.000Z'), run(2, 'uploaded', '2025-09-02T15:30:00.000Z'), run(3, 'closing', '2025-09-03T15:30:00.000Z'),
  ]);
  t.deepEqual((await sessions.settlementRuns('bank1')).map((r) => [r.batch, r.state, r.balanced, r.loads, r.totals.debitAmount]), [
    [3, 'closing', null, 2, 3000], [2, 'uploaded', false, 2, 3000], [1, 'balanced', true, 2, 3000],
  ]);
});
