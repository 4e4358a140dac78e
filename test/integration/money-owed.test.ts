/**
 * Money owed on a running gateway, from a journal as a gateway stopped an hour ago left it: a reversal the bank keeps
 * dropping (its tries, next try and last error; a load left approved is reversed at start too), a pending load, loads
 * left unfinished with only the actions that keep the money rule offered; an operator's park, reverse and "retry now"
 * (two at once send one 0400).
 */
import test from 'ava';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { silentLogger } from '../../common/log.ts';
import { startEmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { Gateway } from '../../gateway/gateway.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { startConfigBank } from '../support/config-bank.ts';
import { tempDir } from '../support/temp-dir.ts';

// config/embedded.json: 张三's card, bound to the unionpay account 6217000010000000018, campus account 2023010001.
const ASN = '31030000002023010001';
const MASKED = '310300**********0001';
const HOUR_AGO = new Date(Date.now() - 3600_000).toISOString();

function record(id: string, path: GatewayLoadState[], extra: Partial<GatewayLoadRecord>, at = HOUR_AGO): GatewayLoadRecord {
  return {
    id, state: path.at(-1)!, kioskId: 'K001', campusAccount: '2023010001', bankId: 'unionpay', asn: ASN, amount: 1000, terminalId: '000000000001',
    oldBalance: 1000, onlineCounter: 3, random: '0A0B0C0D', history: path.map((state) => ({ state, at })), updatedAt: at, ...extra,
  };
}

const MAC2 = { bankRef: '000000000123', hostDate: '20261206', hostTime: '101010', mac2: '01020304' };

test('what is owed, with the actions that keep the money rule; park, reverse and retry now', async (t) => {
  const dir = await tempDir(t);
  const broker = await startEmbeddedBroker();
  t.teardown(() => broker.close());
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  const bank = await startConfigBank(t, raw);

  const now = new Date().toISOString();
  const store = new LevelStore(join(dir, 'gateway'), { log: silentLogger });
  await store.open();
  const seed = [
    record('K001-00000001', ['received', 'bank-pending', 'reversing'], { stan: 41, amount: 4100, reversalReason: '98' }),
    record('K001-00000002', ['received', 'bank-pending', 'approved', 'mac2-issued', 'pending-load'], { stan: 42, amount: 1200, ...MAC2 }),
    record('K001-00000003', ['received', 'bank-pending', 'approved', 'mac2-issued'], { stan: 43, amount: 300, ...MAC2 }),
    record('K001-00000004', ['received', 'bank-pending', 'approved', 'mac2-issued'], { stan: 44, amount: 400, ...MAC2 }, now),
    record('K001-00000005', ['received', 'bank-pending', 'approved'], { stan: 45, amount: 500, bankRef: '000000000125', hostDate: '20261206', hostTime: '101010' }),
    record('K001-00000006', ['received', 'bank-pending', 'approved', 'mac2-issued', 'tac-failed'], { stan: 46, amount: 600, ...MAC2, code: 'CARD_TAC_INVALID' }),
    record('K001-00000007', ['received', 'bank-pending', 'approved', 'mac2-issued', 'completed'], { stan: 47, amount: 700, ...MAC2 }),
  ];
  await store.batch(seed.map((r) => ({ type: 'put' as const, key: `gw/load/${r.id}`, value: r })));
  await store.close();

  // Every reversal is dropped until the bank is told to behave; the queue's next try is a minute away.
  bank.setBehaviour({ dropConnection: true }, { ops: ['reversal'] });
  const gateway = new Gateway({
    loaded: parseConfig(raw, EMBEDDED_CONFIG), mqttUrl: broker.url, log: silentLogger, version: 'test', dataDir: dir,
    bankAddresses: new Map([['unionpay', bank.address()]]), reversalRetry: { minMs: 60_000 },
  });
  const failed = once(gateway.loads.reversals, 'failed');
  await gateway.start();
  t.teardown(() => gateway.stop());
  t.deepEqual((await failed).slice(0, 3), ['K001-00000001', 1, 60_000]);

  const view = await gateway.owed.view();
  t.false(JSON.stringify(view).includes(ASN), 'the card number only masked');
  // The load left approved is reversed at start too: its MAC2 was never journaled, so it never went out.
  t.deepEqual(view.reversals.map((r) => [r.txnId, r.reason]), [['K001-00000001', '98'], ['K001-00000005', '96']]);
  const [reversal] = view.reversals;
  t.like(reversal, {
    txnId: 'K001-00000001', kioskId: 'K001', bankId: 'unionpay', state: 'reversing', amount: 4100, card: MASKED, since: HOUR_AGO,
    attempts: 1, trying: false, reason: '98', attention: false, actions: ['retry-reversal'],
  });
  t.truthy(reversal!.lastError?.code, 'why the last try failed');
  const nextIn = Date.parse(reversal!.nextTryAt!) - Date.now();
  t.true(nextIn > 50_000 && nextIn <= 60_000, String(nextIn));
  t.deepEqual(view.pendingLoads.map((i) => [i.txnId, i.card, i.amount, i.since, i.actions]), [['K001-00000002', MASKED, 1200, HOUR_AGO, []]]);
  // Not the fresh mac2-issued one (its kiosk may still be crediting), not the completed one.
  t.deepEqual(view.unfinished.map((i) => [i.txnId, i.state, i.actions]), [
    ['K001-00000003', 'mac2-issued', ['park']],
    ['K001-00000006', 'tac-failed', []],
  ]);
  // No subsidy, fee refund or transfer is owed here: the campus's own credits total nothing.
  t.deepEqual(view.totals, { reversals: { count: 2, amount: 4600 }, pendingLoads: { count: 1, amount: 1200 }, credits: { count: 0, amount: 0, bySource: {} } });

  // Only what is offered.
  const code = async (p: Promise<unknown>) => ((await t.throwsAsync(p)) as QuancunError).code;
  t.is(await code(gateway.owed.act('K001-00000002', 'park')), 'TXN_STATE');
  t.is(await code(gateway.owed.act('K001-00000004', 'park')), 'TXN_STATE');
  t.is(await code(gateway.owed.act('K001-00000006', 'reverse')), 'TXN_STATE');
  t.is(await code(gateway.owed.act('K001-00000007', 'retry-reversal')), 'TXN_STATE');
  t.is(await code(gateway.owed.act('K009-00000001', 'park')), 'TXN_UNKNOWN');
  t.is(await code(gateway.loads.operatorEnd('K001-00000003', 'park', now)), 'TXN_STATE', 'refused when it changed since it was seen');

  // Park: a pending load with its pending posting, collected at the card's next tap.
  t.like((await gateway.owed.act('K001-00000003', 'park')).item, { state: 'pending-load', actions: [] });
  t.like(await gateway.ledger.posting('K001-00000003'), { status: 'pending', amount: 300 });

  // Retry now, twice at once, on a bank that answers slowly: one 0400.
  bank.setBehaviour({ latencyMs: 300 }, { ops: ['reversal'] });
  const sent = (stan: string) => bank.log.filter((e) => e.mti === '0400' && e.stan === stan).length;
  const before = sent('000041');
  t.deepEqual((await Promise.all([gateway.owed.act('K001-00000001', 'retry-reversal'), gateway.owed.act('K001-00000001', 'retry-reversal')])).map((r) => r.item), [null, null]);
  t.is(sent('000041'), before + 1);
  t.like(await gateway.loads.loads.require('K001-00000001'), { state: 'reversed' });
  t.like(await gateway.ledger.posting('K001-00000001'), { status: 'reversed' });

  // Reverse: a load left approved while the gateway runs (its store refused the MAC2's write for a quarter of an
  // hour): no MAC2 was issued, so the debit goes back to the bank.
  const left = record('K001-00000008', ['received', 'bank-pending', 'approved'], { stan: 48, amount: 800, bankRef: '000000000128', hostDate: '20261206', hostTime: '101010' });
  await gateway.store.put(`gw/load/${left.id}`, left);
  t.deepEqual((await gateway.owed.view()).unfinished.map((i) => [i.txnId, i.state, i.actions]).filter(([id]) => id === 'K001-00000008'), [['K001-00000008', 'approved', ['reverse']]]);
  const confirmed = once(gateway.loads.reversals, 'confirmed');
  await gateway.owed.act('K001-00000008', 'reverse');
  t.deepEqual(await confirmed, ['K001-00000008', 1]);
  t.like(await gateway.loads.loads.require('K001-00000008'), { state: 'reversed', reversalReason: '96' });
  t.deepEqual(bank.log.filter((e) => e.mti === '0400' && e.stan === '000048').map((e) => e.reason), ['96']);

  const after = await gateway.owed.view();
  t.deepEqual(after.reversals.map((r) => r.txnId), ['K001-00000005'], 'its next try is a minute away');
  t.deepEqual(after.pendingLoads.map((i) => i.txnId), ['K001-00000002', 'K001-00000003']);
  t.deepEqual(after.unfinished.map((i) => i.txnId), ['K001-00000006']);
});
