/**
 * The gateway's bank link against the bank host simulator over real TCP on loopback, with the shipped unionpay
 * profile. The PIN block takes the production path: kiosk PIN pad key -> BankKeys.translatePinIn -> bank PIK.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { encryptPinBlock, pan12FromPan, pinBlockFormat0 } from '../../common/crypto/pin-block.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { BankKeys } from '../../gateway/bank/bank-keys.ts';
import { BankLink, type TransferRequest } from '../../gateway/bank/bank-link.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { memoryStans } from '../support/memory-stans.ts';
import { BankHostSimulator, type BankHostOptions } from '../../sim/bank/bank-host.ts';
import { tempDir } from '../support/temp-dir.ts';

const profile = loadBankProfile(bankProfilePath('unionpay'));
const TMK = Buffer.from('C8D9EAFB0C1D2E3F405162738495A6B7', 'hex');
const KIOSK_PIN_KEY = Buffer.from('A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8', 'hex');
const RICH = '6217000010000000018';
const POOR = '6217000010000000026';
const TERMINAL = { terminalId: 'QC000001', merchantId: '898310048990001' };

async function setup(t: ExecutionContext, o: { signOn?: boolean; responseMs?: number; bank?: Partial<BankHostOptions> } = {}) {
  const bank = new BankHostSimulator({
    profile, tmk: TMK,
    accounts: [{ pan: RICH, balance: 500000, pin: '123456' }, { pan: POOR, balance: 3000, pin: '654321' }],
    ...o.bank,
  });
  await bank.start();
  const keys = new BankKeys({ tmk: TMK });
  const link = new BankLink({
    profile, keys, ...bank.address(), localAddress: '127.0.0.1', ...TERMINAL, stanStore: memoryStans(),
    timeouts: { responseMs: o.responseMs ?? 5000, reconnectMinMs: 10, reconnectMaxMs: 50 },
  });
  t.teardown(async () => {
    await link.close();
    await bank.stop();
  });
  if (o.signOn !== false) await link.signOn();
  const pinBlock = (pan: string, pin: string) =>
    keys.translatePinIn(KIOSK_PIN_KEY, encryptPinBlock(KIOSK_PIN_KEY, pinBlockFormat0(pin, pan12FromPan(pan))));
  const request = (pan: string, amount: number, pin: string, campusRef = 'JX-A101-000042'): TransferRequest =>
    ({ pan, amount, pinBlock: pinBlock(pan, pin), ...TERMINAL, campusRef });
  return { bank, keys, link, request };
}

const code = async (t: ExecutionContext, p: Promise<unknown>) => (await t.throwsAsync(p, { instanceOf: QuancunError }))!;

test('sign-on installs fresh working keys and announces itself', async (t) => {
  const { bank, keys, link } = await setup(t, { signOn: false });
  t.false(link.signedOn);
  const signedOn = once(link, 'signed-on');
  await link.signOn();
  await signedOn;
  t.true(link.signedOn);
  t.true(keys.hasWorkingKeys);
  t.like(bank.log, [{ mti: '0800', terminalId: 'QC000001', responseCode: '00', answered: true }]);
  await link.echo();
  t.like(bank.log[1], { mti: '0820', responseCode: '00' });
});

test('an approved transfer debits the account and returns the bank reference', async (t) => {
  const { bank, link, request } = await setup(t);
  const result = await link.transfer(request(RICH, 1000, '123456'));
  t.like(result, { approved: true, bankRef: '000000000001', stan: 2 });
  t.regex(result.hostDate, /^\d{4}$/);
  t.regex(result.hostTime, /^\d{6}$/);
  t.is(bank.balanceOf(RICH), 499000);
  t.like(bank.log[1], { mti: '0200', stan: '000002', amount: 1000, responseCode: '00' });
});

test('a caller-allocated STAN is used as field 11', async (t) => {
  const { bank, link, request } = await setup(t);
  const result = await link.transfer({ ...request(RICH, 500, '123456'), stan: 4711 });
  t.is(result.stan, 4711);
  t.like(bank.log[1], { mti: '0200', stan: '004711' });
});

test('declines: forced response code, insufficient funds, wrong PIN, unknown card', async (t) => {
  const { bank, link, request } = await setup(t);
  bank.setBehaviour({ decline: '05' }, { count: 1 });
  const declined = await code(t, link.transfer(request(RICH, 1000, '123456')));
  t.is(declined.code, 'BANK_DECLINED');
  t.is(declined.details.responseCode, '05');
  t.is((await code(t, link.transfer(request(POOR, 3001, '654321')))).code, 'BANK_INSUFFICIENT_FUNDS');
  t.is((await code(t, link.transfer(request(POOR, 1000, '123456')))).code, 'PIN_WRONG');
  const unknown = await code(t, link.transfer(request('6217000099999999999', 1000, '123456')));
  t.is(unknown.code, 'BANK_DECLINED');
  t.is(unknown.details.responseCode, '14');
  t.is(bank.balanceOf(RICH), 500000);
  t.is(bank.balanceOf(POOR), 3000);
  t.deepEqual(bank.log.slice(1).map((e) => e.responseCode), ['05', '51', '55', '14']);
});

test('no transfer is sent on an unsigned session', async (t) => {
  const { bank, link } = await setup(t, { signOn: false });
  const err = await code(t, link.transfer({ pan: RICH, amount: 1000, pinBlock: Buffer.alloc(8), ...TERMINAL, campusRef: 'X' }));
  t.is(err.code, 'BANK_NOT_SIGNED_ON');
  t.deepEqual(bank.log, []);
});

test('a silent bank times out; the reversal credits back once, however often it is sent', async (t) => {
  // The silence is waited out once; the reversals after it must be answered in time on a loaded machine too.
  const { bank, link, request } = await setup(t, { responseMs: 1000 });
  bank.setBehaviour({ silence: true }, { count: 1 });
  const req = request(RICH, 2500, '123456');
  t.is((await code(t, link.transfer(req))).code, 'BANK_TIMEOUT');
  t.is(bank.balanceOf(RICH), 497500); // the bank applied it and only the answer was lost
  t.like(bank.log[1], { mti: '0200', responseCode: '00', answered: false });
  const original = { stan: 2, pan: RICH, amount: 2500, ...TERMINAL, campusRef: req.campusRef };
  t.deepEqual(await link.reverse(original, '98'), { confirmed: true, originalFound: true });
  t.is(bank.balanceOf(RICH), 500000);
  t.deepEqual(await link.reverse(original, '98'), { confirmed: true, originalFound: true });
  t.is(bank.balanceOf(RICH), 500000);
  t.like(bank.log.slice(2), [{ mti: '0400', stan: '000002', responseCode: '00' }, { mti: '0400', stan: '000002', responseCode: '00' }]);
});

test('an answer with a bad MAC is BANK_MAC_INVALID, and the A0 reversal undoes the debit', async (t) => {
  const { bank, link, request } = await setup(t);
  bank.setBehaviour({ badMac: true }, { count: 1 });
  const req = request(RICH, 700, '123456');
  t.is((await code(t, link.transfer(req))).code, 'BANK_MAC_INVALID');
  t.is(bank.balanceOf(RICH), 499300);
  await link.reverse({ stan: 2, pan: RICH, amount: 700, ...TERMINAL, campusRef: req.campusRef }, 'A0');
  t.is(bank.balanceOf(RICH), 500000);
});

test('a reversal of a transfer the bank never saw is confirmed (25) and blocks a late original', async (t) => {
  const { bank, link, request } = await setup(t);
  t.deepEqual(await link.reverse({ stan: 900, pan: RICH, amount: 1000, ...TERMINAL, campusRef: 'X' }, '98'), { confirmed: true, originalFound: false });
  t.like(bank.log[1], { mti: '0400', responseCode: '25' });
  const late = await code(t, link.transfer({ ...request(RICH, 1000, '123456'), stan: 900 }));
  t.is(late.details.responseCode, '94');
  t.is(bank.balanceOf(RICH), 500000);
});

test('after the bank drops the connection the link reconnects and carries on', async (t) => {
  const { bank, link, request } = await setup(t);
  const reconnected = once(link, 'connected');
  bank.setBehaviour({ dropConnection: true }, { count: 1 });
  // Sent, then the line dropped: the outcome is unknown to the link, so it is a timeout, not "unavailable".
  t.is((await code(t, link.transfer(request(RICH, 1000, '123456')))).code, 'BANK_TIMEOUT');
  t.is(bank.balanceOf(RICH), 500000);
  await reconnected;
  t.true(link.signedOn);
  const result = await link.transfer(request(RICH, 1000, '123456'));
  t.true(result.approved);
  t.is(bank.balanceOf(RICH), 499000);
});

test('a bank that is not listening is BANK_UNAVAILABLE', async (t) => {
  const bank = new BankHostSimulator({ profile, tmk: TMK });
  await bank.start();
  const address = bank.address();
  await bank.stop();
  const link = new BankLink({ profile, keys: new BankKeys({ tmk: TMK }), ...address, ...TERMINAL, stanStore: memoryStans() });
  t.teardown(() => link.close());
  t.is((await code(t, link.signOn())).code, 'BANK_UNAVAILABLE');
});

test('the bank keeps accounts, applied transfers and sessions across a restart', async (t) => {
  const statePath = join(await tempDir(t), 'sim', 'bank.json');
  const { bank, link, request } = await setup(t, { bank: { statePath } });
  const req = request(RICH, 1200, '123456');
  await link.transfer(req);
  await bank.stop();

  const again = new BankHostSimulator({ profile, tmk: TMK, accounts: [], statePath });
  t.is(again.balanceOf(RICH), 498800);
  t.like(again.state().applied, [{ stan: '000002', amount: 1200, status: 'debited' }]);
  await again.start();
  t.teardown(() => again.stop());
  const keys = new BankKeys({ tmk: TMK });
  const relinked = new BankLink({ profile, keys, ...again.address(), ...TERMINAL, stanStore: memoryStans() });
  t.teardown(() => relinked.close());
  await relinked.signOn();
  await relinked.reverse({ stan: 2, pan: RICH, amount: 1200, ...TERMINAL, campusRef: req.campusRef }, '96');
  t.is(again.balanceOf(RICH), 500000);
});
