import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';
import { cliLogger, configOption, readConfig, verboseOption } from '../defaults.ts';
import { integer, shutdownSignal } from './run.ts';

export const simBank: Command = {
  name: 'sim bank',
  summary: 'run the bank host simulator alone (ISO 8583 over TCP), its state kept in the data dir, until SIGINT/SIGTERM',
  details: [
    "Serves the bank named by --bank (default: the first in the config) with the config's simulated accounts, on",
    "--port (default: the bank's configured port; 0 picks a free one). Accounts, applied transfers and signed-on",
    'terminals are written to <dataDir>/sim/bank-<id>.json on every change and read back at start, so a restarted',
    'simulator remembers what it debited.',
  ].join('\n'),
  options: {
    bank: { type: 'string', description: 'bank id from the config (default: the first)' },
    port: { type: 'string', description: "TCP port (default: the bank's port in the config)" },
    host: { type: 'string', description: 'address to listen on', default: '127.0.0.1' },
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = cliLogger(Boolean(v.verbose));
    const { config } = loaded;
    const bank = v.bank ? config.banks.find((b) => b.id === v.bank) : config.banks[0];
    if (!bank) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: no bank "${String(v.bank)}"`);
    const port = v.port === undefined ? bank.port : integer('port', v.port, 0, 65535);
    // Loaded here, not at the top: `quancun --help` must not start up the simulator's modules.
    const { BankHostSimulator } = await import('../../sim/bank/bank-host.ts');
    const { loadBankProfile } = await import('../../gateway/bank/iso8583/profile.ts');
    const { bankProfilePath } = await import('../../gateway/banks.ts');
    const { announceReady, releaseParent } = await import('../../sim/chaos/child-ipc.ts');
    const stopped = shutdownSignal();
    const sim = new BankHostSimulator({
      profile: loadBankProfile(bankProfilePath(bank.profile)),
      tmk: Buffer.from(bank.tmk, 'hex'),
      accounts: (config.simulation?.bankAccounts ?? []).filter((a) => a.bankId === bank.id).map(({ bankId: _, ...account }) => account),
      statePath: join(loaded.dataDir, 'sim', `bank-${bank.id}.json`),
      host: String(v.host),
      port,
      log: log.child({ part: 'bank-sim', bank: bank.id }),
      timeZone: config.campus.timeZone,
    });
    await sim.start();
    try {
      const address = sim.address();
      announceReady(`quancun sim bank ${bank.id}: listening on ${address.host}:${address.port}`, { port: address.port });
      log.info('stopping', { signal: await stopped });
    } finally {
      await sim.stop();
      releaseParent();
    }
    return 0;
  },
};
