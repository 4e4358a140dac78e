/**
 * The OS processes of a chaos run: `quancun kiosk` and `quancun gateway` (with the journal tap preloaded), and the
 * MQTT broker (Mosquitto when installed, else aedes in a process of its own). Each can be killed with SIGKILL and
 * started again on the same data dir or port. Children are killed when the harness exits.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { childReady, type ReadyMessage } from './child-ipc.ts';
import { launchMosquitto, MOSQUITTO } from '../broker/mosquitto-process.ts';
import { freePort } from '../network/free-port.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const BIN = resolve(ROOT, 'bin/quancun.mjs');
const TAP = pathToFileURL(resolve(import.meta.dirname, 'child-tap.ts')).href;

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface Proc {
  child: ChildProcess;
  /** The child's ready message; rejects with its output if it ends first. */
  ready: Promise<ReadyMessage>;
  /** stdout and stderr so far (the tail), for a failure's message. */
  output(): string;
}

export function spawnNode(args: string[], env: NodeJS.ProcessEnv = {}): Proc {
  const child = spawn(process.execPath, args, {
    cwd: ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    // Its own process group: a Ctrl-C at the terminal reaches the harness, which stops its children in order.
    detached: true,
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  const keep = (chunk: Buffer) => {
    out = (out + chunk.toString()).slice(-8000);
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  // A message sent as the child is killed fails (EPIPE) as an 'error' event: the child's end is its exit, not this.
  child.on('error', (err) => keep(Buffer.from(`[harness] ${err.message}\n`)));
  const ready = childReady(child, () => out);
  ready.catch(() => {}); // a spare killed unused never gets ready; whoever awaits it still sees the rejection
  return { child, ready, output: () => out };
}

/**
 * `quancun <args>` with the chaos journal tap preloaded. The child loads its modules and then waits for `go()`
 * (the tap holds it): a spare started ahead replaces a killed process in a fraction of a cold start.
 */
export function spawnTapped(args: string[], env: NodeJS.ProcessEnv = {}): Proc & { go(): void } {
  const proc = spawnNode(['--import', 'tsx', '--import', TAP, BIN, ...args], env);
  return { ...proc, go: () => proc.child.connected && proc.child.send({ t: 'go' }) };
}

/** SIGKILL, as a power cut would; resolves once the process is gone. */
export async function kill(child: ChildProcess, signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  // Not events.once: it rejects on the 'error' of a message sent to the dying child (write EPIPE), failing the run.
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill(signal);
  await exited;
}


export interface BrokerProcess {
  name: 'mosquitto' | 'aedes';
  url: string;
  /** Kills the broker (SIGKILL: sessions and retained messages are lost) and starts a fresh one on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export async function startBroker(): Promise<BrokerProcess> {
  const port = await freePort();
  const mosquitto = existsSync(MOSQUITTO);
  const launch = async (): Promise<ChildProcess> => {
    if (!mosquitto) {
      const aedes = spawnNode(['--import', 'tsx', resolve(import.meta.dirname, 'aedes-process.ts'), String(port)]);
      await aedes.ready;
      return aedes.child;
    }
    const child = await launchMosquitto(port, { detached: true });
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  };
  let child = await launch();
  return {
    name: mosquitto ? 'mosquitto' : 'aedes',
    url: `mqtt://127.0.0.1:${port}`,
    async restart() {
      await kill(child);
      child = await launch();
    },
    stop: () => kill(child, 'SIGTERM'),
  };
}

