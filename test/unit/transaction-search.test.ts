/**
 * Searching the gateway's loads on a real LevelDB on disk, with load records written as the journal keeps them and
 * times chosen around a campus midnight (Asia/Shanghai, UTC+8): each filter, newest first, paging, the masked summary,
 * bad queries, and the live change a written state fires.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { TxnReports } from '../../gateway/events/txn-reports.ts';
import { IsoJournal } from '../../gateway/bank/iso-journal.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { BuiltInOneCard } from '../../gateway/onecard/built-in-one-card.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { Transactions } from '../../gateway/loads/transactions.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = '31030000002023010001';
const LI = '31030000002023010002';

function load(id: string, kioskId: string, asn: string, state: GatewayLoadRecord['state'], at: string, more: Partial<GatewayLoadRecord> = {}): GatewayLoadRecord {
  return {
    id, kioskId, asn, state, amount: 5000, campusAccount: '', terminalId: '000000000001', oldBalance: 1000, onlineCounter: 3, random: '01020304',
    history: [{ state: 'received', at }, { state, at }], updatedAt: at, ...more,
  };
}

async function setup(t: ExecutionContext) {
  const store = new LevelStore(join(await tempDir(t), 'gw'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  const ledger = new CampusLedger(store);
  await new BuiltInOneCard(store).seed([
    { campusAccount: '2023010001', name: '张三', staffNo: '2023010001', asn: ZHANG, bankId: 'unionpay', bankPan: '6217000010000000018' },
    { campusAccount: '2023010002', name: '李四', staffNo: '2023010002', asn: LI, bankId: 'unionpay', bankPan: '6217000010000000026' },
  ]);
  const records = [
    load('K001-00000001', 'K001', ZHANG, 'completed', '2025-09-01T15:59:00.000Z', { bankId: 'unionpay', stan: 12, bankRef: '000000000012' }), // 23:59 on 1 Sept
    load('K002-00000001', 'K002', LI, 'declined', '2025-09-01T16:01:00.000Z', { bankId: 'unionpay', stan: 13, code: 'BANK_INSUFFICIENT_FUNDS' }), // 00:01 on 2 Sept
    load('K001-00000002', 'K001', ZHANG, 'completed', '2025-09-02T01:00:00.000Z', { bankId: 'unionpay', stan: 14, collector: 'K002' }),
    load('K003-00000001', 'K003', '', 'rejected', '2025-09-02T02:00:00.000Z', { code: 'TXN_UNKNOWN' }),
  ];
  for (const r of records) await store.put(`gw/load/${r.id}`, r);
  const loads = new JournaledMachine<GatewayLoadState, GatewayLoadRecord>(store, 'gw/load', GATEWAY_LOAD_MACHINE);
  const txns = new Transactions({
    loads, ledger, reports: new TxnReports(store, silentLogger), iso: new IsoJournal(store, { log: silentLogger }),
    settlements: { all: async () => [] }, timeZone: 'Asia/Shanghai', log: silentLogger,
  });
  const ids = async (query: Record<string, unknown>) => (await txns.search(query)).items.map((i) => i.txnId);
  return { loads, txns, ids };
}

test('each filter, newest first, business days on the campus clock', async (t) => {
  const { ids } = await setup(t);
  t.deepEqual(await ids({}), ['K003-00000001', 'K001-00000002', 'K002-00000001', 'K001-00000001']);
  t.deepEqual(await ids({ date: '2025-09-01' }), ['K001-00000001']);
  t.deepEqual(await ids({ date: '2025-09-02' }), ['K003-00000001', 'K001-00000002', 'K002-00000001']);
  t.deepEqual(await ids({ kiosk: 'K002' }), ['K001-00000002', 'K002-00000001'], 'the kiosk that started it or collected it');
  t.deepEqual(await ids({ stan: '13' }), ['K002-00000001']);
  t.deepEqual(await ids({ stan: '000013' }), ['K002-00000001']);
  t.deepEqual(await ids({ txnId: 'k001' }), ['K001-00000002', 'K001-00000001']);
  t.deepEqual(await ids({ state: 'completed' }), ['K001-00000002', 'K001-00000001']);
  t.deepEqual(await ids({ txnId: '', kiosk: ' ' }), ['K003-00000001', 'K001-00000002', 'K002-00000001', 'K001-00000001'], 'empty fields are absent');
});

test('by card: the bank account or the ASN by their last digits, or a masked number', async (t) => {
  const { ids } = await setup(t);
  t.deepEqual(await ids({ card: '0018' }), ['K001-00000002', 'K001-00000001']);
  t.deepEqual(await ids({ card: '010002' }), ['K002-00000001']);
  t.deepEqual(await ids({ card: '621700******0026' }), ['K002-00000001']);
  t.deepEqual(await ids({ card: '622200******0026' }), []);
});

test('a page, and the summary with the card and bank account masked', async (t) => {
  const { txns } = await setup(t);
  const page = await txns.search({ limit: '2', offset: '1' });
  t.like(page, { total: 4, offset: 1, limit: 2 });
  t.deepEqual(page.items.map((i) => i.txnId), ['K001-00000002', 'K002-00000001']);
  t.deepEqual((await txns.search({ stan: '12' })).items, [{
    txnId: 'K001-00000001', kioskId: 'K001', state: 'completed', final: true, amount: 5000, card: '310300**********0001', bankId: 'unionpay',
    bankAccount: '621700*********0018', stan: 12, bankRef: '000000000012', createdAt: '2025-09-01T15:59:00.000Z',
    updatedAt: '2025-09-01T15:59:00.000Z', businessDay: '2025-09-01',
  }]);
  t.like((await txns.search({ kiosk: 'K003' })).items[0], { card: '', final: true, code: 'TXN_UNKNOWN' });
});

test('bad queries are QUERY_INVALID naming the field', async (t) => {
  const { txns } = await setup(t);
  for (const [query, field] of [[{ card: '12' }, 'card'], [{ date: 'yesterday' }, 'date'], [{ stan: '1234567' }, 'stan'],
    [{ limit: '500' }, 'limit'], [{ state: 'lost' }, 'state'], [{ colour: 'red' }, 'query']] as const) {
    const err = await t.throwsAsync(txns.search(query), { code: 'QUERY_INVALID' });
    t.regex(err!.message, new RegExp(`${field}:`));
  }
});

test('every state written fires a change with its summary; an unknown story is TXN_UNKNOWN', async (t) => {
  const { loads, txns } = await setup(t);
  const created = once(txns, 'change');
  const { history: _h, updatedAt: _u, ...fresh } = load('K001-00000003', 'K001', ZHANG, 'received', '');
  const record = await loads.create(fresh);
  t.like((await created)[0], { txnId: 'K001-00000003', state: 'received', final: false, bankAccount: '621700*********0018' });
  const declined = once(txns, 'change');
  await loads.advance(record, 'rejected', { code: 'CARD_NOT_BOUND' });
  t.like((await declined)[0], { txnId: 'K001-00000003', state: 'rejected', final: true, code: 'CARD_NOT_BOUND' });
  await t.throwsAsync(txns.story('K009-1'), { code: 'TXN_UNKNOWN' });
});
