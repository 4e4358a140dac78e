import type { Command } from '../command.ts';
import { configOption, packageVersion, readConfig, serviceLogger, verboseOption } from '../defaults.ts';
import { shutdownSignal } from './run.ts';

export const gateway: Command = {
  name: 'gateway',
  summary: 'run the front-end gateway (圈存前置): kiosks over MQTT, banks over ISO 8583, until SIGINT/SIGTERM',
  details: [
    "Opens the gateway's journal and ledger in the config's data dir, signs on to each bank at banks[].host/port and",
    "serves the kiosks on the broker at mqtt.url. With mqtt.url `embedded` the gateway runs an aedes broker itself on",
    'mqtt.embeddedPort (fix the port so kiosks in other processes find it). This is the only process that reads the',
    'issuer master keys and the PIN master key. Under systemd (deploy/quancun-gateway.service) it tells READY once it',
    'serves and feeds the watchdog while its journal takes a synced write; its logs go to the journal with their fields.',
    'On PostgreSQL with store.standby, a second gateway waits until the first stops or dies and then takes over; one',
    'that loses the store to another stops and exits 1 (docs/store.md). Under systemd the standby tells READY while it',
    'waits (its STATUS names the gateway serving) and feeds the watchdog while its event loop turns.',
  ].join('\n'),
  options: {
    config: configOption,
    verbose: verboseOption,
  },
  async run(v) {
    const loaded = readConfig(v);
    const log = serviceLogger(Boolean(v.verbose), 'quancun-gateway');
    // Loaded here, not at the top: `quancun --help` must not start up the gateway's modules.
    const { Gateway } = await import('../../gateway/gateway.ts');
    const { startEmbeddedBroker } = await import('../../common/mqtt/embedded-broker.ts');
    const { announceReady, releaseParent } = await import('../../sim/chaos/child-ipc.ts');
    const { connectServiceManager, startWatchdog } = await import('../../common/systemd/service-manager.ts');
    const manager = connectServiceManager(log);
    const stopped = shutdownSignal();
    const { mqtt } = loaded.config;
    const broker = mqtt.url === 'embedded' ? await startEmbeddedBroker({ port: mqtt.embeddedPort }) : null;
    try {
      const mqttUrl = broker?.url ?? mqtt.url;
      // A standby is up once it waits: systemd hears READY with the holder's name, and the watchdog sees its event loop.
      let standbyWatchdog: (() => void) | undefined;
      const onStandby = (holder: string) => {
        manager.ready(`standby: ${holder} serves; waiting to take the store over`);
        standbyWatchdog = startWatchdog(manager, [], log);
      };
      const gw = new Gateway({ loaded, mqttUrl, log: log.child({ part: 'gateway' }), version: packageVersion(), standby: true, onStandby });
      // A standby waits in start() until the other gateway stops or dies; a stop signal meanwhile ends the wait.
      const started = gw.start();
      const first = await Promise.race([started.then(() => undefined), stopped]).finally(() => standbyWatchdog?.());
      if (first !== undefined) {
        log.info('stopping before serving', { signal: first });
        manager.stopping('stopping before serving');
        await gw.store.close();
        await started.catch(() => {});
        return 0;
      }
      const stopWatchdog = startWatchdog(manager, [{ name: 'journal', check: () => gw.store.touch() }], log);
      let lost = false;
      try {
        if (standbyWatchdog) manager.status(`serving kiosks on ${mqttUrl}`);
        else manager.ready(`serving kiosks on ${mqttUrl}`);
        announceReady(`quancun gateway: serving kiosks on ${mqttUrl}, journal in ${loaded.dataDir}`, { mqttUrl });
        // Another gateway took the store over: this one stops at once, and fails, so that systemd starts it again (a standby).
        const end = await Promise.race([stopped.then((signal) => ({ signal })), gw.store.lost.then((reason) => ({ lost: reason }))]);
        lost = 'lost' in end;
        log.info('stopping', end);
        manager.stopping('stopping');
      } finally {
        stopWatchdog();
        await gw.stop();
      }
      if (lost) return 1;
    } finally {
      await broker?.close();
      manager.close();
      releaseParent();
    }
    return 0;
  },
};
