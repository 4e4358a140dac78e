/**
 * Which standing orders a run sends, on the gateway's LevelDB store on disk: a top-up order reads the card balance the
 * gateway last saw in a load and what the card is still owed; an order whose account lost its binding is not due;
 * a monthly order is due once per month, from its day on. And the daily schedule, on a clock set just before runAt.
 */
import test, { type ExecutionContext } from 'ava';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { BankConnection } from '../../gateway/banks.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { CampusCredits } from '../../gateway/credits/campus-credits.ts';
import { KeyStore } from '../../gateway/keystore/key-store.ts';
import { TransferService } from '../../gateway/transfers/transfer-service.ts';
import type { RunRecord } from '../../gateway/transfers/transfer-machine.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = { campusAccount: '2023010001', name: '张三', staffNo: '1', asn: '31030000002023010001', bankId: 'unionpay', bankPan: '6217000010000000018' };
const LI = { campusAccount: '2023010002', name: '李四', staffNo: '2', asn: '31030000002023010002', bankId: 'unionpay', bankPan: '6217000010000000026' };
const WANG = { campusAccount: '2023010003', name: '王五', staffNo: '3', asn: '31030000002023010003', bankId: 'closed-bank', bankPan: '6217000010000000042' };

async function setup(t: ExecutionContext) {
  const store = new LevelStore(await tempDir(t, 'quancun-due-'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  const ledger = new CampusLedger(store);
  await new BuiltInOneCard(store).seed([ZHANG, LI, WANG]);
  const loads = new JournaledMachine<GatewayLoadState, GatewayLoadRecord>(store, 'gw/load', GATEWAY_LOAD_MACHINE);
  const key = Buffer.alloc(16, 0x11);
  const keys = new KeyStore({ issuer: { load: key, purchase: key, tac: key }, pinMasterKey: key });
  const credits = new CampusCredits({
    store, ledger, keys, purseLimit: 200000, timeZone: 'Asia/Shanghai', log: silentLogger, loadInDoubt: async () => false,
  });
  // due() reads only which banks are configured; nothing is sent here.
  const banks = new Map([['unionpay', {} as BankConnection], ['closed-bank', {} as BankConnection]]);
  const service = new TransferService({
    store, ledger, banks, credits, loads, limits: { maxLoad: 100000, purseLimit: 200000 }, timeZone: 'Asia/Shanghai', perSecond: 5, log: silentLogger,
  });
  const due = async (date: string) => (await service.due(date)).map((d) => `${d.order.campusAccount} ${d.period}`);
  return { service, store, ledger, loads, credits, banks, due };
}

test('a top-up order is due when the balance last seen, with what the card is owed, is below its threshold', async (t) => {
  const { service, loads, credits, due } = await setup(t);
  await service.orders.add({ campusAccount: ZHANG.campusAccount, amount: 2000, rule: { kind: 'below', threshold: 5000 } });
  t.deepEqual(await due('2026-12-06'), [], 'no balance seen yet: not due');

  const load = await loads.create({
    id: 'K001-00000001', state: 'received', kioskId: 'K001', campusAccount: ZHANG.campusAccount, asn: ZHANG.asn, amount: 1000,
    terminalId: '000000000001', oldBalance: 2000, onlineCounter: 1, random: '00',
  });
  t.deepEqual(await due('2026-12-06'), [`${ZHANG.campusAccount} 2026-12-06`], 'the card had 20.00 when it was last seen');
  await loads.advance(load, 'rejected', { newBalance: 6000 });
  t.deepEqual(await due('2026-12-06'), [], 'a later balance of 60.00 is not below 50.00');

  await loads.create({
    id: 'K001-00000002', state: 'received', kioskId: 'K001', campusAccount: ZHANG.campusAccount, asn: ZHANG.asn, amount: 1000,
    terminalId: '000000000001', oldBalance: 3000, onlineCounter: 2, random: '00',
  });
  t.deepEqual(await due('2026-12-07'), [`${ZHANG.campusAccount} 2026-12-07`]);
  await credits.owe([{ id: 'TR-X', source: 'transfer', asn: ZHANG.asn, campusAccount: ZHANG.campusAccount, amount: 2000 }]);
  t.deepEqual(await due('2026-12-07'), [], '30.00 on the card and 20.00 owed to it: not below 50.00');
});

test('monthly orders from their day on; an account bound to a bank no longer configured is not due', async (t) => {
  const { service, banks, due } = await setup(t);
  await service.orders.add({ campusAccount: ZHANG.campusAccount, amount: 1000, rule: { kind: 'monthly', day: 31 } });
  await service.orders.add({ campusAccount: LI.campusAccount, amount: 1000, rule: { kind: 'monthly', day: 1 } });
  await service.orders.add({ campusAccount: WANG.campusAccount, amount: 1000, rule: { kind: 'monthly', day: 1 } });
  banks.delete('closed-bank');
  t.deepEqual(await due('2026-11-29'), [`${LI.campusAccount} 2026-11`]);
  t.deepEqual(await due('2026-11-30'), [`${ZHANG.campusAccount} 2026-11`, `${LI.campusAccount} 2026-11`], '31 falls on 30 November');
});

test('orders refused when added (unknown account, a second order) and removed', async (t) => {
  const { service } = await setup(t);
  const add = (campusAccount: string) => service.orders.add({ campusAccount, amount: 1000, rule: { kind: 'monthly', day: 1 } });
  await t.throwsAsync(add('9999'), { message: /no campus account 9999/ });
  await add(LI.campusAccount);
  await t.throwsAsync(add(LI.campusAccount), { message: /already has a standing order/ });
  t.like(await t.throwsAsync(service.orders.remove(ZHANG.campusAccount)), { code: 'TRANSFER_ORDER_UNKNOWN' });
  t.like(await service.orders.remove(LI.campusAccount), { campusAccount: LI.campusAccount });
  t.deepEqual(await service.orders.list(), []);
});

test('the schedule runs at runAt on the campus clock, and journals the run under the campus date', async (t) => {
  // The service's clock reads 01:59:59.5 in Shanghai on 6 December (17:59:59.5 UTC on the 5th), half a second before runAt.
  const offset = Date.UTC(2026, 11, 5, 17, 59, 59, 500) - Date.now();
  const { store, ledger, loads, credits, banks } = await setup(t);
  const service = new TransferService({
    store, ledger, banks, credits, loads, limits: { maxLoad: 100000, purseLimit: 200000 }, timeZone: 'Asia/Shanghai', perSecond: 5,
    log: silentLogger, now: () => new Date(Date.now() + offset),
  });
  const done = new Promise<RunRecord>((resolve) => service.runs.on('changed', (r) => r.state === 'done' && resolve(r)));
  service.startSchedule('02:00');
  t.teardown(() => service.stop());
  t.like(await done, { id: '20261206-1', date: '2026-12-06', by: 'schedule', summary: { planned: 0 } });
});
