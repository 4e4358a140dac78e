/**
 * The session with the bank over real TCP on loopback, on both shipped profiles: sign-on at start and again on the
 * profile's schedule (shortened here), the line check when the link is quiet, sign-on afresh after a failed line
 * check or a failed sign-on, sign-off, and no transfer on an unsigned session. Waits are on the link's events, never on sleeps.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { BankKeys } from '../../gateway/bank/bank-keys.ts';
import { BankLink, type BankLinkOptions } from '../../gateway/bank/bank-link.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { memoryStans } from '../support/memory-stans.ts';
import { BankHostSimulator } from '../../sim/bank/bank-host.ts';

const TMK = Buffer.from('C8D9EAFB0C1D2E3F405162738495A6B7', 'hex');
const TERMINAL = { terminalId: 'QC000001', merchantId: '898310048990001' };
const HOUR = 3_600_000;

async function setup(t: ExecutionContext, profileId: string, session: BankLinkOptions['session'], responseMs = 5000) {
  const profile = loadBankProfile(bankProfilePath(profileId));
  const bank = new BankHostSimulator({ profile, tmk: TMK, accounts: [] });
  await bank.start();
  const keys = new BankKeys({ tmk: TMK });
  const link = new BankLink({ profile, keys, ...bank.address(), ...TERMINAL, stanStore: memoryStans(), session, timeouts: { responseMs, reconnectMinMs: 10, reconnectMaxMs: 50 } });
  t.teardown(async () => {
    await link.close();
    await bank.stop();
  });
  return { bank, keys, link };
}

for (const profileId of ['unionpay', 'ascii-x919']) {
  test(`${profileId}: sign-on at start and again on schedule, each with fresh working keys`, async (t) => {
    const { bank, link } = await setup(t, profileId, { signOnEveryMs: 40, echoEveryMs: HOUR });
    await link.startSession();
    const first = bank.state().sessions.QC000001!.mak;
    await once(link, 'signed-on');
    await once(link, 'signed-on');
    t.true(link.signedOn);
    t.true(bank.log.filter((e) => e.op === 'signOn').length >= 3);
    t.not(bank.state().sessions.QC000001!.mak, first);
  });

  test(`${profileId}: a quiet link gets a line check; a failed one signs on afresh`, async (t) => {
    const { bank, link } = await setup(t, profileId, { signOnEveryMs: HOUR, echoEveryMs: 30 }, 200);
    await link.startSession();
    t.deepEqual((await once(link, 'line-check'))[0], { ok: true });
    t.like(bank.log.find((e) => e.op === 'echo'), { mti: '0820', responseCode: '00', answered: true });
    bank.setBehaviour({ silence: true }, { count: 1 });
    t.deepEqual((await once(link, 'line-check'))[0], { ok: false, code: 'BANK_TIMEOUT' });
    await once(link, 'signed-on');
    t.true(link.signedOn);
  });

  test(`${profileId}: a sign-on that fails at start (no answer, then a refusal) is tried again until the session is had`, async (t) => {
    const { bank, link } = await setup(t, profileId, { signOnEveryMs: HOUR, echoEveryMs: HOUR }, 200);
    bank.setBehaviour({ silence: true }, { count: 1 });
    bank.queueBehaviour({ decline: '96' }, { count: 1 });
    const signedOn = once(link, 'signed-on');
    await t.throwsAsync(link.startSession(), { code: 'BANK_TIMEOUT' } as never);
    t.false(link.signedOn);
    await signedOn;
    t.true(link.signedOn);
    t.deepEqual(bank.log.map((e) => [e.op, e.responseCode ?? null, e.answered]), [['signOn', '00', false], ['signOn', '96', true], ['signOn', '00', true]]);
  });

  test(`${profileId}: sign-off ends the session at both ends and no transfer is sent after it`, async (t) => {
    const { bank, keys, link } = await setup(t, profileId, { signOnEveryMs: HOUR, echoEveryMs: HOUR });
    await link.startSession();
    await link.signOff();
    t.false(link.signedOn);
    t.false(keys.hasWorkingKeys);
    t.like(bank.log.at(-1), { op: 'signOff', mti: '0820', responseCode: '00' });
    t.deepEqual(bank.state().sessions, {});
    const sent = bank.log.length;
    const err = await t.throwsAsync(link.transfer({ pan: '6217000010000000018', amount: 100, pinBlock: Buffer.alloc(8), ...TERMINAL, campusRef: 'X' }),
      { instanceOf: QuancunError });
    t.is(err?.code, 'BANK_NOT_SIGNED_ON');
    t.is(bank.log.length, sent);
  });
}

test('a transfer asked for while the sign-on is under way waits for it instead of being refused', async (t) => {
  const { bank, link } = await setup(t, 'unionpay', { signOnEveryMs: HOUR, echoEveryMs: HOUR });
  const signingOn = link.startSession();
  const err = await t.throwsAsync(
    link.transfer({ pan: '6217000010000000018', amount: 100, pinBlock: Buffer.alloc(8), ...TERMINAL, campusRef: 'X' }),
    { instanceOf: QuancunError },
  );
  await signingOn;
  // It reached the bank (which knows no such account): the link did not refuse it as unsigned.
  t.is(err?.code, 'BANK_DECLINED');
  t.deepEqual(bank.log.map((e) => e.op), ['signOn', 'transfer']);
});
