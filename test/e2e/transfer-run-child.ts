/**
 * A transfer run in its own OS process, on a stopped gateway's store, for tests that kill it mid-way and resume it
 * with `quancun transfer run`. argv[2]: a config file; argv[3]: `<n>:<state>` — the process SIGKILLs itself the moment
 * its n-th transfer's `<state>` is on disk (before the step that state allows), or `none`. Its log goes to stdout.
 */
import { loadConfig } from '../../common/config.ts';
import { createLogger } from '../../common/log.ts';
import { withStoppedGateway } from '../../gateway/stopped-gateway.ts';

const loaded = loadConfig(process.argv[2]!);
const [seq, state] = (process.argv[3] ?? 'none').split(':');
const log = createLogger({ sink: (line) => process.stdout.write(`${line}\n`) });
await withStoppedGateway({ loaded, log, version: 'test' }, async ({ transfers }) => {
  transfers.transfers.on('changed', (record) => {
    // `changed` fires once the state is synced and before the caller goes on: the kill lands between the two.
    if (record.id.endsWith(`-${seq!.padStart(4, '0')}`) && record.state === state) process.kill(process.pid, 'SIGKILL');
  });
  await transfers.start();
  await transfers.run('test child');
});
