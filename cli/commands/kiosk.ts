import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { parseConfig, type LoadedConfig } from '../../common/config.ts';
import type { Logger } from '../../common/log.ts';
import type { Command } from '../command.ts';
import { DEFAULT_CONFIG, cliLogger, configOption, packageVersion, verboseOption } from '../defaults.ts';
import { shutdownSignal } from './run.ts';

export const kiosk: Command = {
  name: 'kiosk',
  summary: 'run one kiosk: journal, card reader, PIN pad and the link to the gateway, until SIGINT/SIGTERM',
  details: [
    "The kiosk named by --id, with the devices its config entry names: reader `pcsc` is a PC/SC reader (a board's, or",
    'vpcd); reader `sim` is the card field of the simulator that started this process over its IPC channel (the chaos',
    'harness, a test), which also types the PIN on the simulated PIN pad. The PIN pad is the simulator, given its key',
    "as a provisioning station would. The broker is the config's mqtt.url (`embedded`: the gateway's on mqtt.embeddedPort).",
    "The kiosk holds no issuer key: the config file it reads may be the gateway's; its master keys are dropped as it is read.",
  ].join('\n'),
  options: {
    id: { type: 'string', description: 'kiosk id from the config (default: the first)' },
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readKioskConfig(String(v.config ?? DEFAULT_CONFIG));
    const log = cliLogger(Boolean(v.verbose));
    const stopped = shutdownSignal();
    const running = await startKioskProcess(loaded, String(v.id ?? loaded.config.kiosks[0]!.id), log);
    try {
      log.info('stopping', { signal: await stopped });
    } finally {
      await running.stop();
    }
    return 0;
  },
};

const NO_KEY = '0'.repeat(32);

/**
 * The config as a kiosk may hold it: the issuer master keys (load, purchase, TAC) are blanked as the file is read,
 * before validation, so they never reach this process's config object even when it reads the gateway's file. The
 * PIN master key stays for the simulated PIN pad's provisioning only.
 */
function readKioskConfig(path: string): LoadedConfig {
  let raw: { issuer?: { masterKeys?: unknown } };
  try {
    raw = JSON.parse(readFileSync(path, 'utf8')) as typeof raw;
  } catch (err) {
    throw new QuancunError('CONFIG_INVALID', `${path}: ${(err as Error).message}`, { path }, { cause: err });
  }
  if (raw.issuer) raw.issuer.masterKeys = { load: NO_KEY, purchase: NO_KEY, tac: NO_KEY };
  return parseConfig(raw, resolve(path));
}

/** The broker a process other than the gateway connects to: `embedded` is the gateway's, on its fixed port. */
export function brokerUrl(loaded: LoadedConfig): string {
  const { url, embeddedPort } = loaded.config.mqtt;
  if (url !== 'embedded') return url;
  if (!embeddedPort) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: mqtt.embeddedPort must be fixed for kiosks in other processes to find the gateway's broker`);
  return `mqtt://127.0.0.1:${embeddedPort}`;
}

async function startKioskProcess(loaded: LoadedConfig, id: string, log: Logger): Promise<{ stop(): Promise<void> }> {
  const entry = loaded.config.kiosks.find((k) => k.id === id);
  if (!entry) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: no kiosk "${id}"`);
  // Loaded here, not at the top: `quancun --help` must not start up the kiosk's modules.
  const { Kiosk } = await import('../../runtime/kiosk.ts');
  const { createSimPinPad } = await import('../../hal/pin-pad/sim-pin-pad.ts');
  const { pinPadKeyFor } = await import('../../provisioning/pin-key-injection.ts');
  const { IpcCardReader } = await import('../../sim/chaos/card-field-ipc.ts');
  const { serveCardholder } = await import('../../sim/chaos/cardholder-ipc.ts');
  const { parentPort, announceReady, releaseParent } = await import('../../sim/chaos/child-ipc.ts');

  const port = parentPort();
  let reader;
  if (entry.reader.backend === 'pcsc') {
    const { PcscCardReader } = await import('../../hal/card-reader/pcsc-reader.ts');
    const { name, answerTimeoutMs } = entry.reader;
    reader = new PcscCardReader({ ...(name ? { readerName: name } : {}), ...(answerTimeoutMs ? { answerTimeoutMs } : {}) });
  } else {
    if (!port) throw new QuancunError('CONFIG_INVALID', `kiosk ${id}: reader "sim" needs the simulator that holds the cards as this process's parent; use reader "pcsc" (with vpcd for virtual cards)`);
    reader = new IpcCardReader(port);
  }
  // The simulated PIN pad's provisioning: the key a key-injection station would have put into a real pad. Only
  // this derived key stays in the process; a real pad arrives with its key inside.
  const { pinPad, keypad } = createSimPinPad({ key: pinPadKeyFor(loaded.config, entry.terminalId) });
  const kiosk = new Kiosk({
    id, terminalId: entry.terminalId.toUpperCase(), mqttUrl: brokerUrl(loaded), dataDir: loaded.dataDir, version: packageVersion(),
    reader, pinPad, log: log.child({ part: 'kiosk' }), requestTimeoutMs: loaded.config.mqtt.requestTimeoutMs, timeZone: loaded.config.campus.timeZone,
  });
  await kiosk.start();
  if (port) serveCardholder(port, kiosk, keypad);
  announceReady(`quancun kiosk ${id}: journal in ${loaded.dataDir}, broker ${brokerUrl(loaded)}`, { kioskId: id });
  return {
    async stop() {
      await kiosk.stop();
      releaseParent();
    },
  };
}
