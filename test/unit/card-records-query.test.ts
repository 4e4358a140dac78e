/**
 * 查询 on the gateway (records.query): a card's loads and collects from load records on a real LevelDB on disk, newest
 * first, paged, the card masked, what the card is owed; and the refusal of a kiosk that did not just look the card up.
 */
import test, { type ExecutionContext } from 'ava';
import { join } from 'node:path';
import { RECORDS_QUERY_WINDOW_SECONDS } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import { silentLogger } from '../../common/log.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { openLoadOp, openLoads } from '../../gateway/loads/open-loads.ts';
import { cardRecords } from '../../gateway/queries/card-records.ts';
import { RecentLookups } from '../../gateway/queries/recent-lookups.ts';
import { tempDir } from '../support/temp-dir.ts';

const ZHANG = '31030000002023010001';
const LI = '31030000002023010002';

type Step = [GatewayLoadState, string];

function load(id: string, kioskId: string, asn: string, amount: number, steps: Step[], more: Partial<GatewayLoadRecord> = {}): GatewayLoadRecord {
  const history = steps.map(([state, at]) => ({ state, at }));
  return {
    id, kioskId, asn, amount, state: history.at(-1)!.state, campusAccount: '', terminalId: '000000000001', oldBalance: 1000, onlineCounter: 3,
    random: '01020304', history, updatedAt: history.at(-1)!.at, ...more,
  };
}

async function setup(t: ExecutionContext) {
  const store = new LevelStore(join(await tempDir(t), 'gw'), { log: silentLogger });
  await store.open();
  t.teardown(() => store.close());
  const records = [
    load('K001-00000001', 'K001', ZHANG, 5000, [['received', '2025-09-01T08:00:00.000Z'], ['bank-pending', '2025-09-01T08:00:01.000Z'], ['completed', '2025-09-01T08:00:05.000Z']]),
    // parked at K001, written at K002 an hour later
    load('K001-00000002', 'K001', ZHANG, 2000, [
      ['received', '2025-09-01T09:00:00.000Z'], ['mac2-issued', '2025-09-01T09:00:03.000Z'], ['pending-load', '2025-09-01T09:00:40.000Z'],
      ['completed', '2025-09-01T10:00:00.000Z'],
    ], { collector: 'K002' }),
    load('K002-00000001', 'K002', ZHANG, 9900, [['received', '2025-09-01T11:00:00.000Z'], ['declined', '2025-09-01T11:00:02.000Z']]),
    load('K003-00000001', 'K003', ZHANG, 1500, [['received', '2025-09-01T12:00:00.000Z'], ['reversing', '2025-09-01T12:00:30.000Z'], ['reversed', '2025-09-01T12:01:00.000Z']]),
    // still owed to the card
    load('K001-00000003', 'K001', ZHANG, 3000, [['received', '2025-09-01T13:00:00.000Z'], ['mac2-issued', '2025-09-01T13:00:03.000Z'], ['pending-load', '2025-09-01T13:00:40.000Z']]),
    load('K001-00000004', 'K001', LI, 7000, [['received', '2025-09-01T14:00:00.000Z'], ['completed', '2025-09-01T14:00:05.000Z']]),
  ];
  for (const r of records) await store.batch([{ type: 'put', key: `gw/load/${r.id}`, value: r }, ...(r.state === 'pending-load' ? [openLoadOp(r)] : [])]);
  const loads = new JournaledMachine<GatewayLoadState, GatewayLoadRecord>(store, 'gw/load', GATEWAY_LOAD_MACHINE);
  const source = { loads, pendingLoads: async (asn: string) => (await openLoads(store, loads, asn)).filter((r) => r.state === 'pending-load') };
  return { query: (asn: string, page: number, pageSize: number) => cardRecords(source, { asn, page, pageSize }) };
}

test('a card\'s loads and collects, newest first, the card masked, with what it is owed', async (t) => {
  const { query } = await setup(t);
  const answer = await query(ZHANG, 1, 10);
  const card = '310300**********0001';
  t.is(answer.total, 6);
  t.deepEqual(answer.items, [
    { txnId: 'K001-00000003', kind: 'load', amount: 3000, at: '2025-09-01T13:00:00.000Z', kioskId: 'K001', state: 'owed', card },
    { txnId: 'K003-00000001', kind: 'load', amount: 1500, at: '2025-09-01T12:00:00.000Z', kioskId: 'K003', state: 'reversed', card },
    { txnId: 'K002-00000001', kind: 'load', amount: 9900, at: '2025-09-01T11:00:00.000Z', kioskId: 'K002', state: 'refused', card },
    { txnId: 'K001-00000002', kind: 'collect', amount: 2000, at: '2025-09-01T10:00:00.000Z', kioskId: 'K002', state: 'done', card },
    { txnId: 'K001-00000002', kind: 'load', amount: 2000, at: '2025-09-01T09:00:00.000Z', kioskId: 'K001', state: 'done', card },
    { txnId: 'K001-00000001', kind: 'load', amount: 5000, at: '2025-09-01T08:00:00.000Z', kioskId: 'K001', state: 'done', card },
  ]);
  t.deepEqual(answer.pending, [{ txnId: 'K001-00000003', kind: 'load', amount: 3000, since: '2025-09-01T13:00:40.000Z', kioskId: 'K001' }]);
  t.false(JSON.stringify(answer).includes(ZHANG), 'the full card number never leaves the gateway');
});

test('pages of two: the last one short, one past the end empty; another card\'s records never appear', async (t) => {
  const { query } = await setup(t);
  const ids = async (page: number) => (await query(ZHANG, page, 2)).items.map((i) => `${i.kind} ${i.txnId}`);
  t.deepEqual(await ids(1), ['load K001-00000003', 'load K003-00000001']);
  t.deepEqual(await ids(2), ['load K002-00000001', 'collect K001-00000002']);
  t.deepEqual(await ids(3), ['load K001-00000002', 'load K001-00000001']);
  t.deepEqual(await ids(4), []);
  const li = await query(LI, 1, 10);
  t.deepEqual(li.items.map((i) => i.txnId), ['K001-00000004']);
  t.deepEqual(li.pending, []);
  t.like(await query(ZHANG.toLowerCase(), 1, 1), { total: 6 });
});

test('a kiosk reads only a card it looked up itself in the last five minutes', (t) => {
  let now = 1_000_000;
  const lookups = new RecentLookups(() => now);
  const refused = (kioskId: string, asn: string) => t.throws(() => lookups.check(kioskId, asn), { instanceOf: QuancunError })?.code;
  t.is(refused('K001', ZHANG), 'QUERY_CARD_NOT_PRESENTED', 'never looked up');
  lookups.looked('K001', ZHANG);
  t.notThrows(() => lookups.check('K001', ZHANG));
  t.is(refused('K002', ZHANG), 'QUERY_CARD_NOT_PRESENTED', 'looked up at another kiosk');
  t.is(refused('K001', LI), 'QUERY_CARD_NOT_PRESENTED', 'another card');
  t.is(RECORDS_QUERY_WINDOW_SECONDS, 300);
  now += 300_000;
  t.notThrows(() => lookups.check('K001', ZHANG), 'five minutes on the dot');
  now += 1;
  t.is(refused('K001', ZHANG), 'QUERY_CARD_NOT_PRESENTED', 'a millisecond later');
  lookups.looked('K001', ZHANG);
  t.notThrows(() => lookups.check('K001', ZHANG), 'a fresh tap opens it again');
});
