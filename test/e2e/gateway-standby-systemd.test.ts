/**
 * A standby `quancun gateway` under systemd (deploy/quancun-gateway.service, Type=notify with a watchdog): it is up
 * while it waits for the serving gateway's store — READY with a STATUS naming that gateway, and watchdog pings while
 * its event loop turns — then says it serves once it took the store over, and stops cleanly. systemd's end is a real
 * datagram socket; the store is a private PostgreSQL cluster; the bank simulator is a process of its own. Expected
 * datagrams are spelled as sd_notify(3) writes them.
 */
import test from 'ava';
import { once } from 'node:events';
import { readFile, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { PgStore } from '../../gateway/store/pg-store.ts';
import { kill, spawnNode, type Proc } from '../../sim/chaos/processes.ts';
import { freePort } from '../../sim/network/free-port.ts';
import { QUANCUN_BIN } from '../support/cli.ts';
import { notifySocket } from '../support/notify-socket.ts';
import { testDatabase } from '../support/postgres.ts';
import { tempDir } from '../support/temp-dir.ts';

const EMBEDDED = join(import.meta.dirname, '../../config/embedded.json');

test('a standby gateway tells systemd READY while it waits, naming the gateway serving, feeds the watchdog, and says it serves once it took over', async (t) => {
  t.timeout(90_000);
  const dir = await tempDir(t);
  const config = JSON.parse(await readFile(EMBEDDED, 'utf8'));
  config.dataDir = join(dir, 'data');
  config.mqtt = { url: 'embedded', embeddedPort: await freePort() };
  config.banks[0].port = await freePort();
  config.store = { backend: 'postgres', url: await testDatabase(), poolSize: 4, standby: true };
  const configPath = join(dir, 'config.json');
  await writeFile(configPath, JSON.stringify(config));

  const started: Proc[] = [];
  t.teardown(async () => {
    for (const p of started.reverse()) await kill(p.child);
  });
  const bank = spawnNode([QUANCUN_BIN, 'sim', 'bank', '--config', configPath]);
  started.push(bank);
  await bank.ready;

  // The gateway serving: this process holds the store, as a running gateway's session does.
  const serving = new PgStore({ url: config.store.url, log: silentLogger });
  await serving.open();
  t.teardown(() => serving.close());

  const systemd = await notifySocket(t);
  const standby = spawnNode([QUANCUN_BIN, 'gateway', '--config', configPath], { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '1000000' });
  started.push(standby);
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
