/**
 * The deployment shape: `quancun sim bank`, `quancun gateway` (with its embedded broker) and `quancun kiosk`, each
 * its own OS process, complete one load together. The card is a virtual card held by this test process and reached
 * by the kiosk over its IPC channel; the PIN is typed on the kiosk's simulated PIN pad. Figures from
 * config/embedded.json: 张三's card 10.00 and bank account 5000.00, PIN 123456; the load is 50.00.
 */
import test from 'ava';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadConfig } from '../../common/config.ts';
import { injectSimPinPadKey } from '../../provisioning/pin-key-injection.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { issueSimulationCards } from '../../sim/card/config-cards.ts';
import { serveCardField } from '../../sim/chaos/card-field-ipc.ts';
import { requestLoad } from '../../sim/chaos/cardholder-ipc.ts';
import { QUANCUN_BIN, quancun } from '../support/cli.ts';
import { processSystem } from '../support/process-config.ts';
import { tempDir } from '../support/temp-dir.ts';

const EMBEDDED = join(import.meta.dirname, '../../config/embedded.json');

/** Kiosk K001's own config file with the simulated board, as docs/deployment.md shows it. */
const kioskFile = (dataDir: string, mqttUrl: string) => ({
  campus: { name: '示范大学', nameEn: 'Demo University' },
  dataDir,
  mqtt: { url: mqttUrl },
  kiosk: { id: 'K001', terminalId: '000000000001' },
  board: { reader: { backend: 'sim' }, printer: { backend: 'sim' }, pinPad: { backend: 'sim' }, gpio: { backend: 'sim' }, i2c: { backend: 'sim' } },
});

test('sim bank, gateway and kiosk as three processes complete a load of 50.00: card 60.00, bank 4950.00; SIGTERM ends each with status 0', async (t) => {
  t.timeout(60_000);
  const { dir, config, configPath, spawn } = await processSystem(t);
  const start = async (...args: string[]) => {
    const p = spawn([QUANCUN_BIN, ...args, '--config', configPath]);
    return { ...p, ready: await p.ready };
  };

  const bank = await start('sim', 'bank');
  t.is(bank.ready.port, config.banks[0]!.port);
  const gateway = await start('gateway');
  t.is(gateway.ready.mqttUrl, `mqtt://127.0.0.1:${config.mqtt.embeddedPort}`);

  // The card field is this process's: the kiosk process only ever sees APDUs.
  const card = issueSimulationCards(loadConfig(EMBEDDED).config).get('31030000002023010001')!;
  const field = new SimCardReader();
  // The kiosk's own file, as an installer writes it: no key in it; the simulated pad got its key at provisioning.
  const kioskConfigPath = join(dir, 'kiosk.json');
  await writeFile(kioskConfigPath, JSON.stringify(kioskFile(config.dataDir, `mqtt://127.0.0.1:${config.mqtt.embeddedPort}`)));
  await injectSimPinPadKey(loadConfig(configPath).config, { id: 'K001', terminalId: '000000000001' }, config.dataDir);
  const kioskProc = spawn([QUANCUN_BIN, 'kiosk', '--config', kioskConfigPath]);
  serveCardField(kioskProc.child, field);
  t.like(await kioskProc.ready, { kioskId: 'K001' });

  field.insert(card);
  const answer = await requestLoad(kioskProc.child, 5000, '123456');
  t.like(answer, { txnId: 'K001-00000001', state: 'completed' });
  t.is(card.state().balance, 6000);
  // The gateway's journal is where its config says (a database on the PostgreSQL pass): a LevelDB folder only for leveldb.
  t.is(existsSync(join(config.dataDir, 'gateway')), (config.store?.backend ?? 'leveldb') === 'leveldb');

  for (const p of [kioskProc, gateway, bank]) {
    const exited = new Promise<number | null>((resolve) => p.child.once('exit', (code) => resolve(code)));
    p.child.kill('SIGTERM');
    t.is(await exited, 0, p.output());
  }
  // The bank simulator kept its state in the data dir: the debit is on disk.
  const bankState = JSON.parse(await readFile(join(config.dataDir, 'sim', 'bank-unionpay.json'), 'utf8'));
  t.is(bankState.accounts.find((a: { pan: string }) => a.pan === '6217000010000000018').balance, 495_000);
});

test('kiosk with the simulated reader refuses to start without a parent holding the cards', async (t) => {
  const dir = await tempDir(t);
  const configPath = join(dir, 'kiosk.json');
  await writeFile(configPath, JSON.stringify(kioskFile(dir, 'mqtt://127.0.0.1:1')));
  const run = await quancun('kiosk', '--config', configPath);
  t.is(run.code, 1);
  t.regex(run.stderr, /quancun kiosk: CONFIG_INVALID: .*kiosk\.json: board\.reader "sim" needs the simulator that holds the cards/);
});
