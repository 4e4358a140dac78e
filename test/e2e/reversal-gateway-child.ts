/**
 * The gateway alone in its own OS process, for tests that SIGKILL it mid-reversal and start it again on the same
 * data dir. argv[2]: a config file. Its log goes to stdout, one JSON line per record, for the test to wait on;
 * SIGTERM stops it cleanly.
 */
import { loadConfig } from '../../common/config.ts';
import { createLogger } from '../../common/log.ts';
import { Gateway } from '../../gateway/gateway.ts';

const loaded = loadConfig(process.argv[2]!);
const log = createLogger({ sink: (line) => process.stdout.write(`${line}\n`) });
const gateway = new Gateway({
  loaded, mqttUrl: loaded.config.mqtt.url, log, version: 'test',
});
await gateway.start();
log.info('gateway child ready');
process.once('SIGTERM', () => {
  void gateway.stop().then(() => process.exit(0));
});
