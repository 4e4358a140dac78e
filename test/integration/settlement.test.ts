/**
 * End-of-day settlement against the bank simulator over real TCP on loopback: totals (0500) from the gateway's load
 * journal, balanced; not balanced with the batch uploaded (0320); batch numbers rolling into 60.2 of later messages.
 * The gateway's load records are written into a real LevelDB journal; the bank's debits are real transfers.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';
import { campusTime } from '../../common/campus-time.ts';
import { encryptPinBlock, pan12FromPan, pinBlockFormat0 } from '../../common/crypto/pin-block.ts';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { BankKeys } from '../../gateway/bank/bank-keys.ts';
import { BankLink } from '../../gateway/bank/bank-link.ts';
import { createCodec } from '../../gateway/bank/iso8583/codec.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { StanCounter } from '../../gateway/bank/stan-counter.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { msUntil, SettlementService } from '../../gateway/settlement/settlement-service.ts';
import { BankHostSimulator } from '../../sim/bank/bank-host.ts';
import { tempDir } from '../support/temp-dir.ts';

const profile = loadBankProfile(bankProfilePath('unionpay'));
const TMK = Buffer.from('C8D9EAFB0C1D2E3F405162738495A6B7', 'hex');
const PIN_KEY = Buffer.from('A1A2A3A4A5A6A7A8B1B2B3B4B5B6B7B8', 'hex');
const PAN = '6217000010000000018';
const ASN = '31030000002023010001';
const TERMINAL = { terminalId: 'QC000001', merchantId: '898310048990001' };
const ZONE = 'Asia/Shanghai';

test('the 0500 of the unionpay profile: totals in 48, batch in 60.2, written out by hand', (t) => {
  const hex = (...p: string[]) => Buffer.from(p.join('').replace(/\s/g, ''), 'hex');
  const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');
  const msg = {
    mti: '0500',
    fields: { 11: '000003', 41: 'QC000001', 42: '898310048990001', 48: '000000003500002000000000000000', 49: '156', 60: '00000001201', 63: '001' },
  };
  const bytes = hex(
    '0500', '00200000 00C18012', // 11 | 41 42 48 | 49 | 60 63
    '000003', ascii('QC000001'), ascii('898310048990001'),
    '0030', '000000003500 002 000000000000 000', // 48 LLL BCD: debit 35.00 x2, credit 0 x0
    ascii('156'),
    '0011', '000000012010', // 60: type 00, batch 000001, 201 settlement; right-padded
    '0003', ascii('001'),
  );
  const codec = createCodec(profile);
  t.deepEqual(codec.encode(msg), bytes);
  t.deepEqual(codec.decode(bytes), msg);
});

async function setup(t: ExecutionContext, o: { settleAt?: string; now?: () => Date; finishRetry?: { minMs: number; maxMs: number } } = {}) {
  const bank = new BankHostSimulator({ profile, tmk: TMK, accounts: [{ pan: PAN, balance: 500_000, pin: '123456' }] });
  await bank.start();
  const keys = new BankKeys({ tmk: TMK });
  const linkProfile = o.settleAt ? { ...profile, session: { ...profile.session, settleAt: o.settleAt } } : profile;
  const store = new LevelStore(join(await tempDir(t), 'gateway'));
  await store.open();
  const stans = new StanCounter(store, TERMINAL.terminalId);
  const link = new BankLink({ profile: linkProfile, keys, ...bank.address(), ...TERMINAL, stanStore: stans });
  t.teardown(async () => {
    await link.close();
    await bank.stop();
    await store.close();
  });
  const ledger = new CampusLedger(store);
  await new BuiltInOneCard(store).seed([{ campusAccount: '2023010001', name: '张三', staffNo: '2023010001', asn: ASN, bankId: 'b1', bankPan: PAN }]);
  const loads = new JournaledMachine<GatewayLoadState, GatewayLoadRecord>(store, 'gw/load', GATEWAY_LOAD_MACHINE);
  const settlement = new SettlementService({
    store, loads, ledger, banks: new Map([['b1', { id: 'b1', link, stans, ...TERMINAL }]]), log: silentLogger, timeZone: ZONE, ...(o.now ? { now: o.now } : {}),
    ...(o.finishRetry ? { finishRetry: o.finishRetry } : {}),
  });
  t.teardown(() => settlement.stopSchedule());
  await settlement.restoreBatches();
  await link.startSession();

  /** A real transfer at the bank; `journal: false` leaves the gateway without a record of it. */
  const load = async (id: string, stan: number, amount: number, o: { journal?: boolean } = {}) => {
    const pinBlock = keys.translatePinIn(PIN_KEY, encryptPinBlock(PIN_KEY, pinBlockFormat0('123456', pan12FromPan(PAN))));
    if (o.journal === false) return link.transfer({ stan, pan: PAN, amount, pinBlock, ...TERMINAL, campusRef: id });
    const record = await loads.create({
      id, state: 'bank-pending', kioskId: 'K001', campusAccount: '2023010001', bankId: 'b1', asn: ASN, amount, terminalId: '000000000001',
      oldBalance: 0, onlineCounter: 0, random: '00000000', stan,
    });
    const approval = await link.transfer({ stan, pan: PAN, amount, pinBlock, ...TERMINAL, campusRef: id });
    await loads.advance(record, 'approved', { bankRef: approval.bankRef });
    return approval;
  };
  return { bank, link, loads, settlement, load };
}

test('a balanced batch: the bank agrees with the totals, and the next batch number goes into later transfers', async (t) => {
  const { bank, link, settlement, load } = await setup(t);
  await load('K001-00000001', 11, 1500);
  await load('K001-00000002', 12, 2000);
  const first = await settlement.settle('b1');
  t.like(first, { state: 'balanced', batch: 1, totals: { debitAmount: 3500, debitCount: 2, creditAmount: 0, creditCount: 0 } });
  t.deepEqual(first.txnIds, ['K001-00000001', 'K001-00000002']);
  t.like(bank.settlements(), [{ batch: '000001', result: '1', totals: { debitAmount: 3500, debitCount: 2 }, uploads: [] }]);
  t.like(bank.log.filter((e) => e.op === 'settlement'), [{ mti: '0500', responseCode: '00' }]);
  t.is(link.batch, '000002');

  await load('K001-00000003', 13, 700);
  t.is(bank.state().applied.at(-1)!.batch, '000002');
  const second = await settlement.settle('b1');
  t.like(second, { state: 'balanced', batch: 2, totals: { debitAmount: 700, debitCount: 1 } });
  t.is(link.batch, '000003');
});

test('an unbalanced batch is uploaded transfer by transfer and still rolls the batch', async (t) => {
  const { bank, link, settlement, load } = await setup(t);
  await load('K001-00000001', 21, 1500);
  await load('K001-00000002', 22, 800, { journal: false }); // the bank debited; the gateway knows nothing of it
  const record = await settlement.settle('b1');
  t.like(record, { state: 'uploaded', batch: 1, totals: { debitAmount: 1500, debitCount: 1 } });
  t.like(bank.settlements(), [{
    batch: '000001', result: '2', totals: { debitAmount: 2300, debitCount: 2 },
    uploads: [{ stan: '000021', pan: PAN, amount: 1500, bankRef: '000000000001' }],
  }]);
  t.deepEqual(bank.log.filter((e) => e.op === 'settlement' || e.op === 'batchUpload').map((e) => [e.mti, e.responseCode]),
    [['0500', '00'], ['0320', '00']]);
  t.is(link.batch, '000002');
});

test('a reversed transfer is in neither total: the batch balances', async (t) => {
  const { bank, link, loads, settlement, load } = await setup(t);
  await load('K001-00000001', 31, 1500);
  await load('K001-00000002', 32, 900);
  await link.reverse({ stan: 32, pan: PAN, amount: 900, ...TERMINAL, campusRef: 'K001-00000002' }, '96');
  const reversing = await loads.advance((await loads.get('K001-00000002'))!, 'reversing', { reversalReason: '96' });
  await loads.advance(reversing, 'reversed');
  t.like(await settlement.settle('b1'), { state: 'balanced', totals: { debitAmount: 1500, debitCount: 1 } });
  t.like(bank.settlements(), [{ result: '1' }]);
});

test('a settlement the bank never answered is journaled closing and finished by the recovery every gateway start runs', async (t) => {
  const { bank, link, settlement, load } = await setup(t);
  await load('K001-00000001', 41, 1500);
  bank.setBehaviour({ dropConnection: true }, { ops: ['settlement'], count: 1 });
  const err = await t.throwsAsync(settlement.settle('b1'));
  t.is((err as { code?: string }).code, 'BANK_TIMEOUT');
  t.like(await settlement.records.get('b1-000001'), { state: 'closing', totals: { debitAmount: 1500, debitCount: 1 } });
  t.is(link.batch, '000002'); // closed for good: later transfers belong to the next batch
  t.deepEqual(bank.settlements(), []);

  await settlement.recover();
  t.like(await settlement.records.get('b1-000001'), { state: 'balanced' });
  t.like(bank.settlements(), [{ batch: '000001', result: '1' }]);
});

test('a settlement the bank did not answer is tried again while the gateway runs, not left for its next start', async (t) => {
  const { bank, settlement, load } = await setup(t, { finishRetry: { minMs: 20, maxMs: 200 } });
  await load('K001-00000001', 61, 1200);
  bank.setBehaviour({ dropConnection: true }, { ops: ['settlement'], count: 2 });
  const settled = once(settlement, 'settled');
  const err = await t.throwsAsync(settlement.settle('b1'));
  t.is((err as { code?: string }).code, 'BANK_TIMEOUT');
  const [record] = await settled; // no recover(): the service tried again by itself
  t.like(record, { id: 'b1-000001', state: 'balanced', totals: { debitAmount: 1200, debitCount: 1 } });
  t.like(bank.settlements(), [{ batch: '000001', result: '1' }]);
  t.like(await settlement.records.get('b1-000001'), { state: 'balanced' });
});

test('the next end-of-day time is the next campus HH:MM strictly after now, whatever the machine\'s zone', (t) => {
  // 2026-11-28 hh:mm:ss in Beijing (UTC+8), written as the UTC instant.
  const at = (h: number, m: number, s = 0) => new Date(Date.UTC(2026, 10, 28, h - 8, m, s));
  t.is(msUntil('23:30', at(23, 0), ZONE), 30 * 60_000);
  t.is(msUntil('23:00', at(23, 0), ZONE), 24 * 3_600_000); // this minute has come: tomorrow's
  t.is(msUntil('00:15', at(23, 0), ZONE), 75 * 60_000);
  t.is(msUntil('23:30', at(23, 29, 59), ZONE), 1000);
  t.is(msUntil('08:00', at(7, 0), ZONE), 3_600_000); // 00:00 UTC: midnight on a UTC machine, 08:00 on campus
});

test("the gateway settles by itself at the profile's settleAt", async (t) => {
  // settleAt is the next minute but one on the campus clock (Beijing's minutes start with UTC's); the service's clock
  // stands 50 ms before it, so the timer fires at once.
  const fire = new Date(Math.floor((Date.now() + 120_000) / 60_000) * 60_000);
  const hhmm = campusTime(fire, ZONE).dateTime.slice(11, 16);
  const { bank, settlement, load } = await setup(t, { settleAt: hhmm, now: () => new Date(fire.getTime() - 50) });
  await load('K001-00000001', 51, 2500);
  const settled = once(settlement, 'settled');
  settlement.startSchedule();
  const [record] = await settled;
  t.like(record, { state: 'balanced', batch: 1, totals: { debitAmount: 2500, debitCount: 1 } });
  t.like(bank.settlements(), [{ batch: '000001', result: '1' }]);
});
