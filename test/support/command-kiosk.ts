/**
 * Kiosk K001 on a real Mosquitto, built by board/kiosk-assembly.ts from a kiosk config file that trusts the campus CA
 * of `makeCommandCerts` for remote commands and reports telemetry every second; its screens on an in-memory display;
 * the gateway of the embedded default on the same broker, signing the console's commands with the campus CA's
 * gateway.test certificate. The broker is read with the test's own client.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import type { Config } from '../../common/config.ts';
import { assembleKiosk, type AssembledKiosk, type KioskScreens } from '../../board/kiosk-assembly.ts';
import { kioskConfigFor, type KioskConfigInput } from '../../board/kiosk-config.ts';
import { createLogger } from '../../common/log.ts';
import { PngSnapshotDisplay } from '../../hal/display/png-snapshot.ts';
import { injectSimPinPadKey } from '../../provisioning/pin-key-injection.ts';
import { startNetworkCable, type NetworkCable } from '../../sim/network/network-cable.ts';
import { makeCommandCerts, type CommandCerts } from './command-certs.ts';
import { startTestSystem, type TestSystem } from './kiosk-system.ts';
import { STATE_TOPIC, watchKiosk } from './kiosk-watch.ts';
import { startMosquitto } from './mosquitto.ts';
import { tempDir } from './temp-dir.ts';

export const ZHANG = { asn: '31030000002023010001', pin: '123456' };

export interface CommandKiosk {
  system: TestSystem;
  certs: CommandCerts;
  brokerUrl: string;
  configPath: string;
  config: KioskConfigInput;
  /** Between the kiosk and the broker: unplug it to drop only the kiosk's connection. */
  cable: NetworkCable;
  assembled: AssembledKiosk;
  screens: KioskScreens;
  watch: Awaited<ReturnType<typeof watchKiosk>>;
  /** Resolves with the exit code the next restart command asks for (the injected exit). */
  nextExit(): Promise<number>;
  /** Builds and starts K001 again on the same journal and config (after a stop). */
  rebuild(): Promise<AssembledKiosk>;
}

/** `gateway` changes the gateway's config (the embedded default's) before it starts. */
export async function startCommandKiosk(t: ExecutionContext, o: { gateway?: (config: Config) => void } = {}): Promise<CommandKiosk> {
  const broker = await startMosquitto();
  t.teardown(() => broker.stop());
  const certs = await makeCommandCerts(t);
  const system = await startTestSystem(t, {
    mqttUrl: broker.url, kioskIds: [],
    edit(config) {
      config.commands = { signer: certs.gatewayFiles, timeoutSeconds: 30 };
      o.gateway?.(config);
    },
  });
  const cable = await startNetworkCable(broker.url);
  t.teardown(() => cable.close());
  const dir = await tempDir(t, 'quancun-kiosk-config-');
  const configPath = join(dir, 'kiosk.json');
  const config = kioskConfigFor(system.loaded, 'K001', { mqttUrl: cable.url, dataDir: system.dataDir });
  config.commands = { trustedCa: certs.caPath };
  config.telemetry = { intervalSeconds: 1 };
  config.announcements = [];
  writeFileSync(configPath, JSON.stringify(config));
  await injectSimPinPadKey(system.loaded.config, system.loaded.config.kiosks.find((k) => k.id === 'K001')!, system.dataDir);
  const watch = await watchKiosk(t, broker.url, ['quancun/v1/kiosk/K001/#']);
  let exited: ((code: number) => void) | undefined;
  const nextExit = () => new Promise<number>((resolve) => (exited = resolve));
  const build = async () => {
    const assembled = await assembleKiosk(config, {
      log: createLogger({ level: 'info', sink: () => {} }), version: 'test', configPath, exit: (code) => exited?.(code),
    });
    t.teardown(() => assembled.stop());
    await assembled.start();
    return assembled;
  };
  const assembled = await build();
  const screens = await assembled.attachScreens(new PngSnapshotDisplay({ width: 1024, height: 600 }));
  await watch.next(STATE_TOPIC, { online: true, mode: 'in-service' });
  return { system, certs, brokerUrl: broker.url, configPath, config, cable, assembled, screens, watch, nextExit, rebuild: build };
}

/** A load at K001 as a cardholder does it: the card tapped, the PIN typed when the pad asks. */
export async function loadAtKiosk(k: { assembled: AssembledKiosk; system: TestSystem }, amount: number, pin = ZHANG.pin) {
  const { kiosk, devices } = k.assembled;
  devices.sim.keypad!.once('entry', () => {
    devices.sim.keypad!.type(pin);
    devices.sim.keypad!.enter();
  });
  devices.sim.reader!.insert(k.system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  try {
    return await kiosk.load(session, amount);
  } finally {
    await session.channel.close();
    devices.sim.reader!.remove();
  }
}
