/**
 * The embedded default (config/embedded.json) started for one test: its own data dir on disk, the broker the test
 * names (or the embedded aedes), the simulated reader or a PC/SC reader, and a change to the config where the test
 * needs one. Everything stops at teardown.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { parseConfig, type Config, type LoadedConfig } from '../../common/config.ts';
import { silentLogger, type Logger } from '../../common/log.ts';
import { assembleKiosk } from '../../board/kiosk-assembly.ts';
import { KioskJournal } from '../../runtime/journal/kiosk-journal.ts';
import { startEmbeddedSystem, type EmbeddedOptions, type EmbeddedSystem, type SimKiosk } from '../../sim/embedded-system.ts';
import type { TxnReport } from '../../gateway/events/txn-reports.ts';
import type { Gateway } from '../../gateway/gateway.ts';
import { passStore } from './postgres.ts';
import { tempDir } from './temp-dir.ts';

export const EMBEDDED_CONFIG = fileURLToPath(new URL('../../config/embedded.json', import.meta.url));

export interface TestSystemOptions {
  /** A running broker; default: the config's embedded aedes. */
  mqttUrl?: string;
  /** Run the kiosk on this PC/SC reader instead of the simulated one. */
  pcscReader?: string;
  edit?: (config: Config) => void;
  /** The config's kiosks to start; default K001 only. */
  kioskIds?: string[];
  /** Each kiosk's CA, certificate and key, for an mqtts:// broker. */
  kioskTls?: EmbeddedOptions['kioskTls'];
  editKiosk?: EmbeddedOptions['editKiosk'];
  /** A data folder the test made already (a day `quancun sim day` left); default: a fresh one. */
  dataDir?: string;
  gatewayNow?: EmbeddedOptions['gatewayNow'];
  /** Where the kiosks' and the gateway's logs go; default: nowhere. */
  log?: Logger;
}

export interface TestSystem extends EmbeddedSystem {
  loaded: LoadedConfig;
  dataDir: string;
}

export async function startTestSystem(t: ExecutionContext, o: TestSystemOptions = {}): Promise<TestSystem> {
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  if (o.mqttUrl) raw.mqtt.url = o.mqttUrl;
  // The e2e suite's second pass runs every gateway of it on PostgreSQL (scripts/test.sh, QUANCUN_TEST_STORE), but one
  // that goes on from a data folder a command filled (its LevelDB store is the test's subject).
  if (!o.dataDir) await passStore(raw);
  o.edit?.(raw);
  const loaded = parseConfig(raw, EMBEDDED_CONFIG);
  const dataDir = o.dataDir ?? await tempDir(t, 'quancun-system-');
  const system = await startEmbeddedSystem({
    loaded, log: o.log ?? silentLogger, dataDir, kioskIds: o.kioskIds ?? ['K001'], ...(o.kioskTls ? { kioskTls: o.kioskTls } : {}), ...(o.editKiosk ? { editKiosk: o.editKiosk } : {}),
    ...(o.pcscReader ? { readerBackend: 'pcsc' as const, readerName: o.pcscReader } : { readerBackend: 'sim' as const }),
    ...(o.gatewayNow ? { gatewayNow: o.gatewayNow } : {}),
  });
  // Registered after tempDir's: ava runs teardowns last-in first-out, so the system stops before its folder goes.
  t.teardown(() => system.stop());
  return { ...system, loaded, dataDir };
}

/** Resolves once a kiosk's outcome of this transaction reached the gateway (from its outbox). */
export async function reportReached(gateway: Gateway, txnId: string): Promise<void> {
  const arrived = new Promise<void>((resolve) => {
    const on = (r: TxnReport) => r.event.txnId === txnId && (gateway.reports.off('recorded', on), resolve());
    gateway.reports.on('recorded', on);
  });
  if ((await gateway.reports.all()).some((r) => r.event.txnId === txnId)) return;
  await arrived;
}

/** A load at the kiosk: the card tapped, the PIN typed when the PIN pad asks, the outcome. */
export async function loadAt(system: EmbeddedSystem, kioskId: string, who: { asn: string; pin: string }, amount: number) {
  const { kiosk, reader, keypad } = system.kiosks.get(kioskId)!;
  keypad.once('entry', () => {
    keypad.type(who.pin);
    keypad.enter();
  });
  reader!.insert(system.cards.get(who.asn)!);
  const session = await kiosk.openSession();
  return kiosk.load(session, amount);
}

/**
 * A kiosk process restarted on its own journal (a power cut, then the board boots again): the old Kiosk is stopped,
 * a new one built from its options, with a fresh PIN pad link, replaces it in `system.kiosks`. Not started yet: the
 * test listens to it first. `whileDown` may change the journal on disk meanwhile (a crash image).
 */
export async function restartKiosk(
  t: ExecutionContext, system: TestSystem, kioskId: string, whileDown?: (journal: KioskJournal) => Promise<void>,
): Promise<SimKiosk> {
  const old = system.kiosks.get(kioskId)!;
  await old.kiosk.stop();
  if (whileDown) {
    const journal = new KioskJournal(old.kiosk.journal.store.path, kioskId);
    await journal.open();
    await whileDown(journal).finally(() => journal.close());
  }
  // The same board, rebuilt on the same journal: the pad's key is still in its memory, the cards stay in the field.
  const assembled = await assembleKiosk(old.assembled.config, { log: silentLogger, version: old.kiosk.version, ...(old.reader ? { simReader: old.reader } : {}) });
  const { kiosk, devices } = assembled;
  t.teardown(() => assembled.stop());
  const restarted: SimKiosk = { ...old, kiosk, assembled, keypad: devices.sim.keypad!, printer: { printer: devices.printer!, device: devices.sim.printer! }, io: devices.sim.wiring! };
  system.kiosks.set(kioskId, restarted);
  return restarted;
}
