/**
 * A private Mosquitto per call, on a free loopback port, as deployed (TCP_NODELAY on, no persistence).
 * Missing mosquitto is a failure naming the Debian package, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestBroker } from './brokers.ts';

const MOSQUITTO = '/usr/sbin/mosquitto';

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
  const config = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'set_tcp_nodelay true',
    'persistence false',
    'log_dest stderr', // unbuffered: stdout to a pipe is not flushed
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
  ].join('\n');
  let child: ChildProcess | undefined = await launch(config);
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
      child = await launch(config);
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

/** Resolves when mosquitto logs that it is running (its listener is bound by then). */
async function launch(config: string): Promise<ChildProcess> {
  const dir = await mkdtemp(join(tmpdir(), 'quancun-mosquitto-'));
  const file = join(dir, 'mosquitto.conf');
  await writeFile(file, `${config}\n`);
  const child = spawn(MOSQUITTO, ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output += chunk.toString();
        if (/mosquitto version \S+ running/.test(output)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`mosquitto exited (${code ?? signal}) before it was running:\n${output}`)));
    });
  } finally {
    await rm(dir, { recursive: true, force: true }); // mosquitto has read its config by now
  }
  return child;
}

async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
