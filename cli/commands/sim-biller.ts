import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';
import { cliLogger, configOption, readConfig, verboseOption } from '../defaults.ts';
import { integer, shutdownSignal } from './run.ts';

export const simBiller: Command = {
  name: 'sim biller',
  summary: 'run the biller simulator alone (HTTP on 127.0.0.1, every configured biller), until SIGINT/SIGTERM',
  details: [
    "Serves every biller of the config's `billers` with the accounts of `simulation.billerAccounts` (docs/fees.md), at",
    'http://127.0.0.1:<port>/billers/<id>: point the gateway\'s `billers[].url` there. --port defaults to the port of',
    "the first biller's url (0 picks a free one). Payments are kept in memory: a restarted simulator has forgotten them.",
  ].join('\n'),
  options: {
    port: { type: 'string', description: "TCP port (default: the first biller's url port)" },
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = cliLogger(Boolean(v.verbose));
    const { billers, simulation } = loaded.config;
    if (billers.length === 0) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: no billers to simulate`);
    const port = v.port === undefined ? Number(new URL(billers[0]!.url).port || 0) : integer('port', v.port, 0, 65535);
    // Loaded here, not at the top: `quancun --help` must not start up the simulator's modules.
    const { BillerSimulator } = await import('../../sim/biller/biller-host.ts');
    const { announceReady, releaseParent } = await import('../../sim/chaos/child-ipc.ts');
    const stopped = shutdownSignal();
    const sim = new BillerSimulator(billers.map((b) => ({
      id: b.id, accounts: (simulation?.billerAccounts ?? []).filter((a) => a.billerId === b.id).map(({ billerId: _, ...account }) => account),
    })));
    await sim.start(port);
    try {
      announceReady(`quancun sim biller: ${billers.map((b) => sim.url(b.id)).join(' ')}`, { urls: billers.map((b) => sim.url(b.id)) });
      log.info('stopping', { signal: await stopped });
    } finally {
      await sim.stop();
      releaseParent();
    }
    return 0;
  },
};
