/**
 * The whole money path with every real part this machine has: the virtual card on vpcd behind the private pcscd, a
 * real broker (aedes and Mosquitto), the gateway speaking ISO 8583 over TCP to the bank simulator, and LevelDB on
 * disk for the kiosk journal, the gateway journal and the ledger. Expected figures come from config/embedded.json.
 */
import test from 'ava';
import { join } from 'node:path';
import { LevelStore } from '../../common/store/level-store.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { brokers } from '../support/brokers.ts';
import { emptySlot, startPcscTestSystem } from '../support/pcsc.ts';

// 张三 in config/embedded.json: card balance 10.00, bank account 5000.00, PIN 123456, campus account 2023010001.
const ASN = '31030000002023010001';
const PAN = '6217000010000000018';
const PIN = '123456';

for (const broker of brokers) {
  test(`${broker.name}: a 50.00 load through pcscd and vpcd debits the bank, credits the card and posts the ledger by the same amount`, async (t) => {
    const mqtt = await broker.start();
    t.teardown(() => mqtt.stop());
    const { system, reader, connector } = await startPcscTestSystem(t, { mqttUrl: mqtt.url });

    const card = system.cards.get(ASN)!;
    t.is(card.state().balance, 1000);
    t.is(system.bank.balanceOf(PAN), 500_000);
    await connector.insert(card);

    const result = await runLoadScenario(system, { kioskId: 'K001', amount: 5000, ...scenarioAccounts(system.loaded.config) });

    t.like(result, { txnId: 'K001-00000001', state: 'completed', amount: 5000, tacVerified: true });
    t.deepEqual(result.card, { before: 1000, after: 6000 });
    t.deepEqual(result.bank, { before: 500_000, after: 495_000 });
    // The devices' own accounts, not the kiosk's report of them.
    t.is(card.state().balance, 6000);
    t.is(system.bank.balanceOf(PAN), 495_000);
    t.like(await system.gateway.ledger.posting('K001-00000001'), { campusAccount: '2023010001', amount: 5000, status: 'final' });
    t.like(await system.gateway.loads.loads.require('K001-00000001'), { state: 'completed', amount: 5000 });

    // What the journals hold survives the processes: read them back from disk after everything stopped.
    await emptySlot(reader, connector);
    await system.stop();
    const journal = new KioskJournal(join(system.dataDir, 'kiosk-K001'), 'K001');
    await journal.open();
    t.teardown(() => journal.close());
    t.like(await journal.loads.require('K001-00000001'), { state: 'completed', amount: 5000, cardBefore: 1000, cardAfter: 6000, tacVerified: true });
    t.deepEqual(await journal.loads.unfinished(), []);

    // Neither journal holds the PIN, the PIN block or the bank card number. The one place the gateway keeps the bank
    // card number is the binding itself (ledger/account/…), which it needs to address the bank.
    const stores = [journal.store, new LevelStore(join(system.dataDir, 'gateway'))];
    await stores[1]!.open();
    t.teardown(() => stores[1]!.close());
    for (const store of stores) {
      const text = JSON.stringify((await store.list('')).filter((e) => !e.key.startsWith('ledger/account/')));
      t.false(text.includes(PAN), `${store.path} holds the bank card number`);
      t.false(text.includes(`"${PIN}"`), `${store.path} holds the PIN`);
      t.false(/pinBlock/i.test(text), `${store.path} holds a PIN block`);
    }
  });
}
