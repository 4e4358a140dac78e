import { configSchema } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';
import { cliLogger, configOption, readConfig, verboseOption } from '../defaults.ts';

export function integer(name: string, value: unknown, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new QuancunError('CONFIG_INVALID', `--${name} must be an integer from ${min} to ${max}, not ${String(value)}`);
  return n;
}

/** Resolves with the first of SIGINT or SIGTERM, and stops listening for the other. */
export function shutdownSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (signal: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(signal);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}

export const run: Command = {
  name: 'run',
  summary: 'start the embedded default with the kiosk screens in the live simulator view',
  details: [
    'Starts the embedded broker, bank simulator, gateway and one kiosk with simulated card reader, PIN pad and receipt',
    'printer, and shows the kiosk screens in a loopback-only web page. The side panel taps and removes the virtual cards,',
    'types the PIN on the PIN pad, runs the printer out of paper and cuts the kiosk network. Runs until SIGINT/SIGTERM.',
    "The gateway's operator console is served on loopback too (the config's console section, else port 8088); add its",
    'first user with `quancun console user add <name> --role admin`.',
  ].join('\n'),
  options: {
    config: configOption,
    kiosk: { type: 'string', description: 'kiosk id to show (default: the first in the config)' },
    host: { type: 'string', description: 'live view address (loopback only)', default: '127.0.0.1' },
    port: { type: 'string', description: 'live view port; 0 picks a free one', default: '8080' },
    width: { type: 'string', description: 'screen width in pixels', default: '1024' },
    height: { type: 'string', description: 'screen height in pixels', default: '600' },
    'console-port': { type: 'string', description: "operator console port; 0 picks a free one (default: the config's console.port, else 8088)" },
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = cliLogger(Boolean(v.verbose));
    const port = integer('port', v.port, 0, 65535);
    const width = integer('width', v.width, 320, 3840);
    const height = integer('height', v.height, 240, 3840);
    const kioskId = String(v.kiosk ?? loaded.config.kiosks[0]!.id);
    // Without a console section, the schema's defaults: loopback, port 8088.
    const consoleSettings = loaded.config.console ?? configSchema.shape.console.unwrap().parse({});
    if (v['console-port'] !== undefined) consoleSettings.port = integer('console-port', v['console-port'], 0, 65535);
    loaded.config.console = consoleSettings;
    // Loaded here, not at the top: `quancun --help` must not start up the whole system's modules.
    const { startEmbeddedSystem } = await import('../../sim/embedded-system.ts');
    const { startLiveSimulator } = await import('../../sim/live-simulator.ts');
    const stopped = shutdownSignal();
    const system = await startEmbeddedSystem({ loaded, log, kioskIds: [kioskId] });
    try {
      const live = await startLiveSimulator({ system, kioskId, width, height, host: String(v.host), port });
      console.log(`quancun: kiosk ${kioskId} live view at ${live.url}  (Ctrl+C stops)`);
      console.log(`quancun: operator console at ${system.gateway.console!.url}  (users: quancun console user add <name> --role admin)`);
      const signal = await stopped;
      log.info('stopping', { signal });
      await live.stop();
    } finally {
      await system.stop();
    }
    return 0;
  },
};
