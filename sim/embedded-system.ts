/**
 * The embedded default: the whole kiosk system in one process on one machine, with nothing installed: an aedes
 * broker, the bank host simulator, the gateway, and kiosks with simulated readers and PIN pads, plus the virtual
 * cards of the config's cardholders. The simulators are devices; each comes with its device-side handle (the reader,
 * the PIN pad's keypad, the printer, the kiosk's network cable).
 */
import { once } from 'node:events';
import { join } from 'node:path';
import type { LoadedConfig } from '../common/config.ts';
import type { Logger } from '../common/log.ts';
import { QuancunError } from '../common/errors.ts';
import { startEmbeddedBroker } from '../common/mqtt/embedded-broker.ts';
import { Gateway } from '../gateway/gateway.ts';
import { bankProfilePath } from '../gateway/banks.ts';
import { loadBankProfile } from '../gateway/bank/iso8583/profile.ts';
import type { Kiosk } from '../runtime/kiosk.ts';
import type { ReceiptPrinter } from '../hal/printer/printer.ts';
import { assembleKiosk, type AssembledKiosk } from '../board/kiosk-assembly.ts';
import { kioskConfigFor, type KioskConfigInput } from '../board/kiosk-config.ts';
import { injectSimPinPadKey } from '../provisioning/pin-key-injection.ts';
import type { SimCardReader } from './card/sim-reader.ts';
import type { KioskWiring } from './gpio/sim-gpio.ts';
import type { Keypad } from './pin-pad/pin-pad-emulator.ts';
import type { PrinterDevice } from './printer/escpos-emulator.ts';
import { BankHostSimulator } from './bank/bank-host.ts';
import { BillerSimulator } from './biller/biller-host.ts';
import type { TlsFiles } from '../common/mqtt/tls-files.ts';
import { VirtualCard } from './card/virtual-card.ts';
import { issueSimulationCards } from './card/config-cards.ts';
import { startNetworkCable, type NetworkCable } from './network/network-cable.ts';

export const VERSION = '0.1.0';

export interface SimKiosk {
  kiosk: Kiosk;
  /** The kiosk as board/kiosk-assembly.ts built it: its config, its devices, its screens. */
  assembled: AssembledKiosk;
  /** Present only with the simulated reader: tap and remove cards. */
  reader: SimCardReader | null;
  keypad: Keypad;
  /** The kiosk's receipt printer: the driver the runtime prints on, and the emulated device behind it. */
  printer: { printer: ReceiptPrinter; device: PrinterDevice };
  /** The door switch and status LEDs of the kiosk's board. */
  io: KioskWiring;
  /** Between the kiosk and an mqtt:// broker: unplug it to take this kiosk (only) offline. Null for other URLs. */
  network: NetworkCable | null;
}

export interface EmbeddedSystem {
  mqttUrl: string;
  /** The first configured bank's simulator; `banks` has every one by bank id. */
  bank: BankHostSimulator;
  banks: Map<string, BankHostSimulator>;
  /** The simulator of every configured biller (sim/biller/). */
  billers: BillerSimulator;
  gateway: Gateway;
  kiosks: Map<string, SimKiosk>;
  cards: Map<string, VirtualCard>;
  stop(): Promise<void>;
}

export interface EmbeddedOptions {
  loaded: LoadedConfig;
  log: Logger;
  /** Overrides the config's data dir (a scenario run uses a fresh temporary one). */
  dataDir?: string;
  /** `pcsc`: the kiosks read whatever card is presented to a PC/SC reader instead of the in-process simulator. */
  readerBackend?: 'sim' | 'pcsc';
  readerName?: string;
  kioskIds?: string[];
  /** Each kiosk's CA, certificate and key (absolute paths), for an mqtts:// broker. */
  kioskTls?: (kioskId: string) => TlsFiles;
  /** Changes a kiosk's own config before it is built (a campus CA it trusts for commands, its telemetry interval). */
  editKiosk?: (kioskId: string, config: KioskConfigInput) => void;
  /** The gateway's clock for what expires (subsidies); tests move it. */
  gatewayNow?: () => Date;
}

export async function startEmbeddedSystem(o: EmbeddedOptions): Promise<EmbeddedSystem> {
  const { config } = o.loaded;
  const sim = config.simulation;
  if (!sim) throw new QuancunError('CONFIG_INVALID', `${o.loaded.path}: the embedded default needs a "simulation" section`);
  const dataDir = o.dataDir ?? o.loaded.dataDir;
  const stops: Array<() => Promise<void>> = [];
  let stopping: Promise<void> | undefined;
  // Once only: a second stop (a test's teardown after its own) waits for the first.
  const stop = () =>
    (stopping ??= (async () => {
      for (const s of stops.reverse()) await s().catch((err) => o.log.warn('stop failed', { error: err as Error }));
    })());
  try {
    const broker = config.mqtt.url === 'embedded' ? await startEmbeddedBroker({ port: config.mqtt.embeddedPort }) : null;
    if (broker) stops.push(() => broker.close());
    const mqttUrl = broker?.url ?? config.mqtt.url;

    // One simulated bank host per configured bank; the first keeps sim/bank.json, where reconciliation looks.
    const banks = new Map<string, BankHostSimulator>();
    for (const [i, bankConfig] of config.banks.entries()) {
      const bank = new BankHostSimulator({
        profile: loadBankProfile(bankProfilePath(bankConfig.profile)),
        tmk: Buffer.from(bankConfig.tmk, 'hex'),
        accounts: sim.bankAccounts.filter((a) => a.bankId === bankConfig.id).map(({ bankId: _, ...account }) => account),
        statePath: join(dataDir, 'sim', i === 0 ? 'bank.json' : `bank-${bankConfig.id}.json`), timeZone: config.campus.timeZone,
      });
      await bank.start();
      stops.push(() => bank.stop());
      banks.set(bankConfig.id, bank);
    }
    const bank = banks.get(config.banks[0]!.id)!;

    // One biller simulator serves every configured biller, as one campus HTTP host would.
    const billers = new BillerSimulator(config.billers.map((b) => ({
      id: b.id, accounts: (sim.billerAccounts ?? []).filter((a) => a.billerId === b.id).map(({ billerId: _, ...account }) => account),
    })));
    await billers.start();
    stops.push(() => billers.stop());

    const gateway = new Gateway({
      loaded: o.loaded, mqttUrl, log: o.log.child({ part: 'gateway' }), version: VERSION, dataDir,
      bankAddresses: new Map([...banks].map(([id, b]) => [id, b.address()])), ...(o.gatewayNow ? { now: o.gatewayNow } : {}),
      billerUrls: new Map(config.billers.map((b) => [b.id, billers.url(b.id)])),
    });
    await gateway.start();
    stops.push(() => gateway.stop());

    const cards = issueSimulationCards(config);

    const kiosks = new Map<string, SimKiosk>();
    for (const k of config.kiosks.filter((k) => !o.kioskIds || o.kioskIds.includes(k.id))) {
      const network = new URL(mqttUrl).protocol === 'mqtt:' ? await startNetworkCable(mqttUrl) : null;
      if (network) stops.push(() => network.close());
      const kioskConfig = kioskConfigFor(o.loaded, k.id, { mqttUrl: network?.url ?? mqttUrl, dataDir, ...(o.kioskTls ? { tls: o.kioskTls(k.id) } : {}) });
      if ((o.readerBackend ?? k.reader.backend) === 'sim') kioskConfig.board.reader = { backend: 'sim' };
      else kioskConfig.board.reader = { ...k.reader, backend: 'pcsc', ...(o.readerName ? { name: o.readerName } : {}) };
      // After the reader is chosen: a test may put a kiosk on a PC/SC reader of its own.
      o.editKiosk?.(k.id, kioskConfig);
      // The embedded default is its simulated pads' provisioning station too.
      await injectSimPinPadKey(config, k, dataDir);
      const assembled = await assembleKiosk(kioskConfig, { log: o.log, version: VERSION });
      const { kiosk, devices } = assembled;
      // The gateway is in this process: a kiosk handed out before its link is up would only refuse cards.
      const online = once(kiosk.link, 'online', { signal: AbortSignal.timeout(15_000) }).catch(() => {
        if (!kiosk.link.online) throw new QuancunError('LINK_OFFLINE', `kiosk ${k.id} did not reach the gateway at ${mqttUrl}`);
      });
      await assembled.start();
      stops.push(() => assembled.stop());
      await online;
      kiosks.set(k.id, {
        kiosk, assembled, reader: devices.sim.reader ?? null, keypad: devices.sim.keypad!,
        printer: { printer: devices.printer!, device: devices.sim.printer! }, io: devices.sim.wiring!, network,
      });
    }
    return { mqttUrl, bank, banks, billers, gateway, kiosks, cards, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}
