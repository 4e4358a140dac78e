/**
 * The standing transfer (代扣, no PIN) and its reversal in both shipped profiles, against bytes written out by hand
 * field by field; the MACs were computed outside quancun (python driving `openssl enc -des-ede3`, the UnionPay ECB MAC
 * and ANSI X9.19 steps of ../shared/reference/iso8583-unionpay.md; the same script reproduces the transfer vectors of
 * test/unit/iso8583-codec.test.ts and iso8583-ascii-profile.test.ts). Then the bank link against the bank simulator
 * over TCP on loopback: approved only for an account with a standing agreement, and the simulator's faults.
 */
import test, { type ExecutionContext } from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { BankKeys } from '../../gateway/bank/bank-keys.ts';
import { BankLink, type StandingTransferRequest } from '../../gateway/bank/bank-link.ts';
import { createCodec } from '../../gateway/bank/iso8583/codec.ts';
import { computeMac, encodeWithMac } from '../../gateway/bank/iso8583/message-mac.ts';
import { loadBankProfile, OPERATIONS } from '../../gateway/bank/iso8583/profile.ts';
import { buildMessage, matchesTemplate } from '../../gateway/bank/iso8583/template.ts';
import { BankHostSimulator } from '../../sim/bank/bank-host.ts';
import { memoryStans } from '../support/memory-stans.ts';

const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');
const MAK = hex('11223344556677888877665544332211');
const PAN = '6217000010000000018';
const VARS = {
  pan: PAN, amount: '000000001000', stan: '000003', terminalId: 'QC000001', merchantId: '898310048990001', batch: '000001',
  campusRef: 'TR-20261206-0001',
};

const unionpay = loadBankProfile(bankProfilePath('unionpay'));
const asciiX919 = loadBankProfile(bankProfilePath('ascii-x919'));

test('unionpay: the standing 0200 has no field 52 nor 53, 22 = 012 and 25 = 01, and its UnionPay ECB MAC', (t) => {
  const codec = createCodec(unionpay);
  const msg = buildMessage(unionpay.templates.standingTransfer.request, unionpay.fields, VARS);
  const body = encodeWithMac(codec, unionpay.mac, msg, (d) => computeMac('unionpay-ecb', MAK, d));
  t.deepEqual(body, hex(
    '0200',
    '70200480 00C08013', // 2 3 4 | 11 | 22 | 25 | 41 42 | 49 | 60 63 64: no 52, no 53
    '19', '62170000100000000180', '400000', '000000001000', '000003',
    '0120', // 22: manual entry (01), no PIN capability (2)
    '01', // 25: cardholder not present
    ascii('QC000001'), ascii('898310048990001'), ascii('156'),
    '0008', '40000001',
    '0016', ascii('TR-20261206-0001'),
    '3634304146333341', // MAC "640AF33A"
  ));
});

test('ascii-x919: the standing 0200 in ASCII with its X9.19 MAC', (t) => {
  const codec = createCodec(asciiX919);
  const msg = buildMessage(asciiX919.templates.standingTransfer.request, asciiX919.fields, VARS);
  const body = encodeWithMac(codec, asciiX919.mac, msg, (d) => computeMac(asciiX919.mac.algorithm, MAK, d));
  t.deepEqual(body, Buffer.concat([
    Buffer.from(['0200', '7020048000C08013', '19', PAN, '400000', '000000001000', '000003', '012', '01', 'QC000001',
      '898310048990001', '156', '008', '40000001', '016', 'TR-20261206-0001'].join(''), 'ascii'),
    hex('C2E1A4D6BA0FC071'),
  ]));
});

test('unionpay: the 0400 of a standing transfer copies its 22 and 25', (t) => {
  const codec = createCodec(unionpay);
  const msg = buildMessage(unionpay.templates.standingReversal.request, unionpay.fields, { ...VARS, reason: '98' });
  t.deepEqual(codec.encode(msg), hex(
    '0400',
    '70200480 02C08012', // 2 3 4 | 11 | 22 | 25 | 39 | 41 42 | 49 | 60 63 (the MAC comes with encodeWithMac)
    '19', '62170000100000000180', '400000', '000000001000', '000003', '0120', '01',
    ascii('98'),
    ascii('QC000001'), ascii('898310048990001'), ascii('156'),
    '0008', '40000001',
    '0016', ascii('TR-20261206-0001'),
  ));
});

test('each profile tells a standing answer from a PIN transfer answer by field 25', (t) => {
  for (const profile of [unionpay, asciiX919]) {
    const answer = (op: 'transfer' | 'standingTransfer') =>
      buildMessage(profile.templates[op].response, profile.fields, { ...VARS, hostDate: '1206', hostTime: '020000', bankRef: '000000000001', responseCode: '00' });
    const of = (op: 'transfer' | 'standingTransfer') => OPERATIONS.filter((o) => matchesTemplate(profile.templates[o].response, answer(op)));
    t.deepEqual(of('standingTransfer'), ['standingTransfer'], profile.id);
    t.deepEqual(of('transfer'), ['transfer'], profile.id);
  }
});

const TMK = Buffer.from('C8D9EAFB0C1D2E3F405162738495A6B7', 'hex');
const SIGNED = '6217000010000000018';
const UNSIGNED = '6217000010000000026';
const TERMINAL = { terminalId: 'QC000001', merchantId: '898310048990001' };

async function setup(t: ExecutionContext, responseMs = 5000) {
  const bank = new BankHostSimulator({
    profile: unionpay, tmk: TMK,
    accounts: [{ pan: SIGNED, balance: 50000, pin: '123456', standingAgreement: true }, { pan: UNSIGNED, balance: 50000, pin: '654321' }],
  });
  await bank.start();
  const link = new BankLink({
    profile: unionpay, keys: new BankKeys({ tmk: TMK }), ...bank.address(), localAddress: '127.0.0.1', ...TERMINAL,
    stanStore: memoryStans(), timeouts: { responseMs, reconnectMinMs: 10, reconnectMaxMs: 50 },
  });
  t.teardown(async () => {
    await link.close();
    await bank.stop();
  });
  await link.signOn();
  const request = (pan: string, amount: number, stan: number): StandingTransferRequest => ({ pan, amount, stan, ...TERMINAL, campusRef: `TR-T-${stan}` });
  return { bank, link, request };
}

const failure = async (t: ExecutionContext, p: Promise<unknown>) => (await t.throwsAsync(p, { instanceOf: QuancunError }))!;

test('the bank approves a standing transfer for an account with an agreement, and declines 57 without one', async (t) => {
  const { bank, link, request } = await setup(t);
  t.like(await link.standingTransfer(request(SIGNED, 2000, 10)), { approved: true, bankRef: '000000000001', stan: 10 });
  t.is(bank.balanceOf(SIGNED), 48000);
  t.like(bank.log.at(-1), { mti: '0200', op: 'standingTransfer', stan: '000010', responseCode: '00' });
  const declined = await failure(t, link.standingTransfer(request(UNSIGNED, 2000, 11)));
  t.like(declined, { code: 'BANK_DECLINED', details: { responseCode: '57', stan: 11 } });
  t.is(bank.balanceOf(UNSIGNED), 50000);
});

test('a standing transfer is reversed with the standing 0400, once', async (t) => {
  const { bank, link, request } = await setup(t);
  await link.standingTransfer(request(SIGNED, 2000, 12));
  const original = { ...request(SIGNED, 2000, 12), stan: 12, standing: true };
  t.deepEqual(await link.reverse(original, '96'), { confirmed: true, originalFound: true });
  t.deepEqual(await link.reverse(original, '96'), { confirmed: true, originalFound: true });
  t.is(bank.balanceOf(SIGNED), 50000);
  t.like(bank.log.at(-1), { mti: '0400', op: 'standingReversal', reason: '96', responseCode: '00' });
});

test("the simulator's faults apply: silent and dropped are BANK_TIMEOUT, a bad MAC is BANK_MAC_INVALID, late arrives", async (t) => {
  const { bank, link, request } = await setup(t, 300);
  bank.setBehaviour({ silence: true }, { count: 1, ops: ['standingTransfer'] });
  t.is((await failure(t, link.standingTransfer(request(SIGNED, 100, 20)))).code, 'BANK_TIMEOUT');
  t.is(bank.balanceOf(SIGNED), 49900, 'silence applies the debit and withholds the answer');
  bank.setBehaviour({ badMac: true }, { count: 1, ops: ['standingTransfer'] });
  t.is((await failure(t, link.standingTransfer(request(SIGNED, 100, 21)))).code, 'BANK_MAC_INVALID');
  bank.setBehaviour({ dropConnection: true }, { count: 1, ops: ['standingTransfer'] });
  t.is((await failure(t, link.standingTransfer(request(SIGNED, 100, 22)))).code, 'BANK_TIMEOUT');
  t.is(bank.balanceOf(SIGNED), 49800, 'a dropped connection applies nothing');
  await link.signOn();
  bank.setBehaviour({ latencyMs: 50 }, { count: 1, ops: ['standingTransfer'] });
  t.like(await link.standingTransfer(request(SIGNED, 100, 23)), { approved: true, stan: 23 });
});
