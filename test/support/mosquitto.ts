/**
 * A private Mosquitto per call, on a free loopback port, as deployed (TCP_NODELAY on, no persistence).
 * Missing mosquitto is a failure naming the Debian package, never a skip.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import net from 'node:net';
import type { TestBroker } from './brokers.ts';
import { launchMosquitto, MOSQUITTO } from '../../sim/broker/mosquitto-process.ts';


/** Brokers still running when the test process exits are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startMosquitto(): Promise<TestBroker> {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(`${MOSQUITTO} not found: install the Debian package "mosquitto" (apt-get install mosquitto)`);
  }
  const port = await freePort();
  let child: ChildProcess | undefined = await launch(port);
  const halt = async (signal: NodeJS.Signals) => {
    if (child) await kill(child, signal);
    child = undefined;
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: () => halt('SIGTERM'),
    /** Kills the broker as a crash would (SIGKILL, if running) and starts a fresh one on the same port. */
    async restart() {
      await halt('SIGKILL');
      child = await launch(port);
    },
  };
}

async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function launch(port: number): Promise<ChildProcess> {
  const child = await launchMosquitto(port);
  running.add(child);
  child.once('exit', () => running.delete(child));
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
