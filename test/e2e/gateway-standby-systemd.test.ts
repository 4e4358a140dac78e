/**
 * A standby `quancun gateway` under systemd (deploy/quancun-gateway.service, Type=notify with a watchdog): it is up
 * while it waits for the serving gateway's store — READY with a STATUS naming that gateway, and watchdog pings while
 * its event loop turns — then says it serves once it took the store over, and stops cleanly. systemd's end is a real
 * datagram socket; the store is a private PostgreSQL cluster; the bank simulator is a process of its own. Expected
 * datagrams are spelled as sd_notify(3) writes them.
 */
import test from 'ava';
import { once } from 'node:events';
import { hostname } from 'node:os';
import { silentLogger } from '../../common/log.ts';
import { PgStore } from '../../gateway/store/pg-store.ts';
import { QUANCUN_BIN } from '../support/cli.ts';
import { notifySocket } from '../support/notify-socket.ts';
import { processSystem } from '../support/process-config.ts';
import { testDatabase } from '../support/postgres.ts';

test('a standby gateway tells systemd READY while it waits, naming the gateway serving, feeds the watchdog, and says it serves once it took over', async (t) => {
  t.timeout(90_000);
  const url = await testDatabase();
  const { config, configPath, spawn } = await processSystem(t, (c) => void (c.store = { backend: 'postgres', url, poolSize: 4, standby: true }));
  const bank = spawn([QUANCUN_BIN, 'sim', 'bank', '--config', configPath]);
  await bank.ready;

  // The gateway serving: this process holds the store, as a running gateway's session does.
  const serving = new PgStore({ url, log: silentLogger });
  await serving.open();
  t.teardown(() => serving.close());

  const systemd = await notifySocket(t);
  const standby = spawn([QUANCUN_BIN, 'gateway', '--config', configPath], { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '1000000' });
  const pid = standby.child.pid!;
  t.is(await systemd.next(), `READY=1\nSTATUS=standby: quancun gateway ${process.pid}@${hostname()} serves; waiting to take the store over\nMAINPID=${pid}`, standby.output());
  t.is(await systemd.next(), 'WATCHDOG=1', 'the waiting standby feeds the watchdog');

  /** The next datagram other than a watchdog ping. */
  const nextNotice = async () => {
    for (;;) {
      const message = await systemd.next();
      if (message !== 'WATCHDOG=1') return message;
    }
  };
  // The serving gateway stops: its session, and with it the store's lock, ends.
  await serving.close();
  t.is(await nextNotice(), `STATUS=serving kiosks on mqtt://127.0.0.1:${config.mqtt.embeddedPort}`, standby.output());
  t.like(await standby.ready, { mqttUrl: `mqtt://127.0.0.1:${config.mqtt.embeddedPort}` });
  t.is(await systemd.next(), 'WATCHDOG=1', 'serving, the journal check passes');

  const exited = once(standby.child, 'exit');
  standby.child.kill('SIGTERM');
  t.is(await nextNotice(), 'STOPPING=1\nSTATUS=stopping');
  t.deepEqual(await exited, [0, null], standby.output());
});
