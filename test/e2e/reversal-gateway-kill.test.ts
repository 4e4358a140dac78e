/**
 * A reversal owed survives a gateway kill. The bank applies a transfer and never answers (silence); the gateway
 * reverses it (reason 98), the bank applies that reversal too but stays silent, so the gateway keeps retrying; the
 * gateway process is killed with SIGKILL, the bank recovers, and the gateway started again on the same data dir sends
 * the reversal from its journal and gets it confirmed. The bank applies it once: the account is whole again.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseConfig, type Config } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { startEmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { CampusLedger } from '../../gateway/ledger/campus-ledger.ts';
import { gatewayStore } from '../../gateway/store/gateway-store.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from '../../gateway/loads/gateway-load-machine.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { createSimPinPad } from '../../sim/pin-pad/sim-pin-pad.ts';
import { pinPadKeyFor } from '../../provisioning/pin-key-injection.ts';
import { Kiosk } from '../../runtime/kiosk.ts';
import { issueSimulationCards } from '../../sim/card/config-cards.ts';
import { EMBEDDED_CONFIG } from '../support/kiosk-system.ts';
import { startConfigBank } from '../support/config-bank.ts';
import { passStore } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const CHILD = fileURLToPath(new URL('./reversal-gateway-child.ts', import.meta.url));
// config/embedded.json: 张三's card and the bank account bound to it.
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', bank: 500_000, card: 1000, pin: '123456' };

interface GatewayProcess {
  child: ChildProcess;
  /** Resolves with the first log record the predicate accepts; rejects if the process ends first. */
  line(accept: (record: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
}

function startGateway(t: ExecutionContext, configPath: string): GatewayProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, configPath], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => void child.kill('SIGKILL'));
  const records: Array<Record<string, unknown>> = [];
  const waiters = new Set<() => void>();
  createInterface({ input: child.stdout! }).on('line', (text) => {
    records.push(JSON.parse(text) as Record<string, unknown>);
    for (const w of waiters) w();
  });
  const exited = once(child, 'exit');
  return {
    child,
    line: (accept) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const found = records.find(accept);
          if (found) (waiters.delete(check), resolve(found));
        };
        waiters.add(check);
        check();
        void exited.then(() => reject(new Error('the gateway process ended before the awaited log line')));
      }),
  };
}

test('a reversal the bank never answered is sent again by the restarted gateway after a SIGKILL, and applied once', async (t) => {
  const dir = await tempDir(t, 'quancun-saf-');
  const broker = await startEmbeddedBroker();
  t.teardown(() => broker.close());

  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  // The bank's answer time is the profile's; a short one keeps each silent try short.
  const profile = JSON.parse(readFileSync(bankProfilePath(raw.banks[0]!.profile), 'utf8')) as { timeouts: Record<string, number> };
  profile.timeouts = { ...profile.timeouts, responseMs: 400, reconnectMinMs: 50, reconnectMaxMs: 200 };
  writeFileSync(join(dir, 'bank-profile.json'), JSON.stringify(profile));
  const bank = await startConfigBank(t, raw, join(dir, 'bank-profile.json'));
  raw.mqtt.url = broker.url;
  raw.dataDir = '.';
  raw.reversals = { minMs: 100, maxMs: 400 }; // short retries, so the test waits little
  await passStore(raw);
  raw.banks[0] = { ...raw.banks[0]!, profile: join(dir, 'bank-profile.json'), host: '127.0.0.1', port: bank.address().port };
  const configPath = join(dir, 'config.json');
  writeFileSync(configPath, JSON.stringify(raw));
  const { config } = parseConfig(raw, configPath);

  let gateway = startGateway(t, configPath);
  await gateway.line((r) => r.msg === 'gateway child ready');

  const kioskConfig = config.kiosks.find((k) => k.id === 'K001')!;
  const reader = new SimCardReader();
  const { pinPad, keypad } = createSimPinPad({ key: pinPadKeyFor(config, kioskConfig.terminalId) });
  const kiosk = new Kiosk({
    id: 'K001', terminalId: kioskConfig.terminalId.toUpperCase(), mqttUrl: broker.url, dataDir: dir, version: 'test', reader, pinPad,
    log: silentLogger,
  });
  const online = once(kiosk.link, 'online');
  await kiosk.start();
  t.teardown(() => kiosk.stop());
  await online;

  const card = issueSimulationCards(config).get(ZHANG.asn)!;
  reader.insert(card);
  const session = await kiosk.openSession();
  keypad.on('entry', () => {
    keypad.type(ZHANG.pin);
    keypad.enter();
  });
  bank.setBehaviour({ silence: true }); // applies what it receives, answers nothing
  const outcome = await kiosk.load(session, 5000);
  t.is(outcome.code, 'BANK_TIMEOUT');
  t.is(card.state().balance, ZHANG.card, 'the card was never credited');

  // The first try went out as the kiosk was answered; wait for the queue's second, then kill the gateway.
  await gateway.line((r) => r.msg === 'reversal unconfirmed, retrying' && r.txnId === outcome.txnId && Number(r.attempts) >= 2);
  const killed = once(gateway.child, 'exit');
  gateway.child.kill('SIGKILL');
  t.deepEqual((await killed).slice(1), ['SIGKILL']);

  const beforeRestart = bank.log.filter((e) => e.mti === '0400');
  t.true(beforeRestart.length >= 2);
  t.true(beforeRestart.every((e) => !e.answered && e.reason === '98' && e.amount === 5000));
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank, 'the silent bank applied the first reversal already');

  bank.setBehaviour({});
  gateway = startGateway(t, configPath);
  await gateway.line((r) => r.msg === 'resuming reversals owed from before the restart');
  await gateway.line((r) => r.msg === 'reversal confirmed' && r.txnId === outcome.txnId);
  const stopped = once(gateway.child, 'exit');
  gateway.child.kill('SIGTERM');
  await stopped;

  const afterRestart = bank.log.slice(bank.log.indexOf(beforeRestart.at(-1)!) + 1).filter((e) => e.mti === '0400');
  t.deepEqual(afterRestart.map((e) => [e.reason, e.responseCode, e.answered]), [['98', '00', true]]);
  t.is(bank.balanceOf(ZHANG.pan), ZHANG.bank, 'applied once: the account is whole, not credited twice');
  const transfers = bank.state().applied;
  t.deepEqual(transfers.map((a) => [a.pan, a.amount, a.status]), [[ZHANG.pan, 5000, 'reversed']]);

  const store = gatewayStore(config, dir, silentLogger);
  await store.open();
  t.teardown(() => store.close());
  const record = await new JournaledMachine<GatewayLoadState, GatewayLoadRecord>(store, 'gw/load', GATEWAY_LOAD_MACHINE).require(outcome.txnId);
  t.deepEqual(record.history.map((h) => h.state), ['received', 'bank-pending', 'reversing', 'reversed']);
  t.is(record.reversalReason, '98');
  t.is(record.reversalAnswer, 'reversed');
  const posting = await new CampusLedger(store).posting(outcome.txnId);
  t.like(posting, { txnId: outcome.txnId, amount: 5000, status: 'reversed' });
});
