/**
 * What a gateway stop interrupted is ended at the next start, before kiosks are served: a load still `received` never
 * reached the bank and ends `rejected`; a load `bank-pending` sent its transfer and never heard back, so it is owed a
 * reversal (98) like any unanswered transfer, sent and confirmed.
 */
import test from 'ava';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { startEmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { LevelStore } from '../../common/store/level-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { startConfigBank } from '../support/config-bank.ts';
import { tempDir } from '../support/temp-dir.ts';

// config/embedded.json: 张三's card, bound to the unionpay account below.
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', bank: 500_000 };

test('a restarted gateway rejects loads it never sent and reverses transfers it stopped waiting for', async (t) => {
  const dir = await tempDir(t);
  const broker = await startEmbeddedBroker();
  t.teardown(() => broker.close());
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  const bank = await startConfigBank(t, raw);

  // The journal as a gateway killed mid-way leaves it.
  const store = new LevelStore(join(dir, 'gateway'), { log: silentLogger });
  await store.open();
  const loads = new JournaledMachine<GatewayLoadState, GatewayLoadRecord>(store, 'gw/load', GATEWAY_LOAD_MACHINE);
  const base = {
    kioskId: 'K001', campusAccount: '', asn: ZHANG.asn, amount: 5000, terminalId: '000000000001', oldBalance: 1000,
    onlineCounter: 3, random: '0A0B0C0D',
  };
  await loads.create({ id: 'K001-00000001', state: 'received', ...base });
  const sent = await loads.create({ id: 'K001-00000002', state: 'received', ...base });
  await loads.advance(sent, 'bank-pending', { campusAccount: '2023010001', bankId: 'unionpay', stan: 41 });
  await store.close();

  const gateway = new Gateway({
    loaded: parseConfig(raw, EMBEDDED_CONFIG), mqttUrl: broker.url, log: silentLogger, version: 'test', dataDir: dir,
    bankAddresses: new Map([['unionpay', bank.address()]]),
  });
  const confirmed = once(gateway.loads.reversals, 'confirmed');
  await gateway.start();
  t.teardown(() => gateway.stop());
  t.deepEqual(await confirmed, ['K001-00000002', 1]);

  t.like(await gateway.loads.loads.require('K001-00000001'), { state: 'rejected', code: 'INTERNAL' });
  const reversed = await gateway.loads.loads.require('K001-00000002');
  t.deepEqual(reversed.history.map((h) => h.state), ['received', 'bank-pending', 'reversing', 'reversed']);
  t.like(reversed, { reversalReason: '98', reversalAnswer: 'not-found', code: 'BANK_TIMEOUT' });
  t.deepEqual(bank.log.filter((e) => e.mti === '0400').map((e) => [e.stan, e.reason, e.amount, e.responseCode]), [['000041', '98', 5000, '25']]);
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank);
});
