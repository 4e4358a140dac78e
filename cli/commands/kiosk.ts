import type { Logger } from '../../common/log.ts';
import { QuancunError } from '../../common/errors.ts';
import type { LoadedKioskConfig } from '../../board/kiosk-config.ts';
import type { ServiceManager } from '../../common/systemd/service-manager.ts';
import type { Command } from '../command.ts';
import { packageVersion, serviceLogger, verboseOption } from '../defaults.ts';
import { shutdownSignal } from './run.ts';

/** Where an installed kiosk's config lives (deploy/quancun-kiosk.service). */
export const KIOSK_CONFIG = '/etc/quancun/kiosk.json';

export const kiosk: Command = {
  name: 'kiosk',
  summary: 'run one kiosk from its own config and board profile: devices, screens, journal, link; until SIGINT/SIGTERM',
  details: [
    "Builds the kiosk its config file names (docs/deployment.md): the board profile's card reader, PIN pad, printer,",
    'GPIO, I2C, display and touch, the journal and the link to the gateway through the broker at mqtt.url. The file',
    'holds no issuer or PIN key. A device that is missing or fails is a fault: the kiosk shows out of service, reports',
    'it, and serves again when the device is back. Under systemd (deploy/quancun-kiosk.service) it tells READY once it',
    'serves or shows why it cannot, feeds the watchdog while its journal and screen work, and on stop waits for a load',
    "in progress to end (up to --stop-wait seconds). Reader `sim` takes the card field from the simulator that started",
    'this process over IPC (the chaos harness, a test). A signed `restart` command (docs/remote-commands.md) stops it',
    'the same way and exits with status 0 for systemd (Restart=always) to start it again.',
  ].join('\n'),
  options: {
    config: { type: 'string', description: 'the kiosk config file', default: KIOSK_CONFIG },
    'stop-wait': { type: 'string', description: 'seconds a stop waits for a load in progress to end', default: '60' },
    verbose: verboseOption,
  },
  async run(v) {
    const { loadKioskConfig } = await import('../../board/kiosk-config.ts');
    const { connectServiceManager } = await import('../../common/systemd/service-manager.ts');
    const loaded = loadKioskConfig(String(v.config));
    const stopWaitMs = Number(v['stop-wait']) * 1000;
    if (!Number.isFinite(stopWaitMs) || stopWaitMs < 0) throw new QuancunError('CONFIG_INVALID', `--stop-wait: "${String(v['stop-wait'])}" is not a number of seconds`);
    const log = serviceLogger(Boolean(v.verbose), 'quancun-kiosk');
    const manager = connectServiceManager(log);
    let restart!: () => void;
    const restarted = new Promise<string>((resolve) => (restart = () => resolve('restart command')));
    const stopped = Promise.race([shutdownSignal(), restarted]);
    const running = await startKioskProcess(loaded, log, manager, restart);
    try {
      log.info('stopping', { signal: await stopped });
    } finally {
      await running.stop(stopWaitMs);
      manager.close();
    }
    return 0;
  },
};

async function startKioskProcess(
  loaded: LoadedKioskConfig, log: Logger, manager: ServiceManager, restart: () => void,
): Promise<{ stop(waitMs: number): Promise<void> }> {
  // Loaded here, not at the top: `quancun --help` must not start up the kiosk's modules.
  const { assembleKiosk } = await import('../../board/kiosk-assembly.ts');
  const { startWatchdog } = await import('../../common/systemd/service-manager.ts');
  const { IpcCardReader } = await import('../../sim/chaos/card-field-ipc.ts');
  const { serveCardholder } = await import('../../sim/chaos/cardholder-ipc.ts');
  const { parentPort, announceReady, releaseParent } = await import('../../sim/chaos/child-ipc.ts');

  const { config } = loaded;
  const id = config.kiosk.id;
  const port = parentPort();
  if (config.board.reader.backend === 'sim' && !port) {
    throw new QuancunError('CONFIG_INVALID', `${loaded.path}: board.reader "sim" needs the simulator that holds the cards as this process's parent; use reader "pcsc" (with vpcd for virtual cards)`);
  }
  const assembled = await assembleKiosk({ ...config, dataDir: loaded.dataDir }, {
    log, version: packageVersion(), configPath: loaded.path, exit: restart, ...(port && config.board.reader.backend === 'sim' ? { simReader: new IpcCardReader(port) } : {}),
  });
  const { kiosk, devices } = assembled;
  await assembled.start();
  if (port && devices.sim.keypad) serveCardholder(port, kiosk, devices.sim.keypad);

  const serviceText = () => (kiosk.status.reason ? `out of service: ${kiosk.status.reason}` : 'in service');
  const onChange = () => manager.status(serviceText());
  kiosk.status.on('change', onChange);
  const stopWatchdog = startWatchdog(manager, [
    { name: 'journal', check: () => kiosk.checkJournal() },
    ...(assembled.screens ? [{ name: 'screen', check: () => assembled.screens!.screen.settled() }] : []),
  ], log);
  manager.ready(serviceText());
  announceReady(`quancun kiosk ${id}: journal in ${loaded.dataDir}, broker ${config.mqtt.url}, ${serviceText()}`, { kioskId: id });
  return {
    async stop(waitMs) {
      manager.stopping(kiosk.inTransaction ? 'waiting for the transaction in progress to end' : 'stopping');
      if (!(await kiosk.drain(waitMs))) log.error('stopping with a transaction in progress: its record is finished at the next start', { waitedMs: waitMs });
      stopWatchdog();
      kiosk.status.off('change', onChange);
      await assembled.stop();
      releaseParent();
    },
  };
}
