/**
 * The virtual kiosk board for tests: `bootGuest()` starts the Debian guest (test/board/image/) under QEMU and returns
 * what a test drives it with — commands in the guest, files, the screen, touches, the serial ports' host ends, the
 * vpcd forward, systemd's units. See docs/virtual-board.md for the devices on both sides.
 */
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, readFile, realpath, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { promisify } from 'node:util';
import { GuestAgent, type ExecOptions, type ExecResult } from './guest-agent.ts';
import { boardImage, unpackRootfs } from './image.ts';
import { JsonChannel } from './json-channel.ts';
import { Qmp } from './qmp.ts';
import { SCREEN, startMachine, type GuestForward, type RunningMachine } from './qemu.ts';

export { HOST_SERVICES_ADDRESS, SCREEN, type GuestForward } from './qemu.ts';
export type { ExecResult } from './guest-agent.ts';

const PROJECT_DIR = new URL('../../', import.meta.url).pathname.replace(/\/$/, '');

/** Where things are inside the guest. */
export const GUEST_PATHS = {
  /** The project, read-only (the host's checkout). */
  project: '/opt/quancun',
  /** The host's node binary; /usr/bin/node and /usr/local/bin/node point here. */
  node: '/opt/node/node',
  /** Read-write, the same folder as Guest.exchangeDir on the host. */
  exchange: '/srv/exchange',
} as const;

export interface BootOptions {
  /** Host loopback services the guest reaches at HOST_SERVICES_ADDRESS (quancun-host) on guestPort. */
  forwards?: GuestForward[];
  /** Default 1536. */
  memoryMb?: number;
  /** Default 2. */
  cpus?: number;
  /** From QEMU's start to a booted system; default 240 s (about 30 s when the machine is not shared). */
  bootTimeoutMs?: number;
}

export interface Guest {
  qmp: Qmp;
  /** `sh -c command` as root in the guest. */
  exec(command: string, options?: ExecOptions): Promise<ExecResult>;
  /** Writes a file in the guest (as root), creating its folder. */
  writeFile(guestPath: string, content: string | Buffer): Promise<void>;
  /** The screen as QEMU shows it, a PNG. */
  screendump(): Promise<Buffer>;
  /** A tap at screen pixel (x, y): pointer moved there, left button pressed and released. */
  touch(x: number, y: number): Promise<void>;
  /** Host ends of the guest's /dev/ttyS1 and /dev/ttyS2 (pseudo-terminals, raw). */
  ptys: { ttyS1: string; ttyS2: string };
  /** Host loopback port where a VpcdConnector puts a card into the guest's pcscd ("Virtual PCD 00 00"). */
  vpcdPort: number;
  /** The host side of GUEST_PATHS.exchange. */
  exchangeDir: string;
  /** The unit's journal for this boot, message text only. */
  journal(unit: string): Promise<string>;
  /** Polls the unit's ActiveState until it is `state`; a unit that fails instead rejects at once with its journal. */
  waitForUnit(unit: string, state?: string, timeoutMs?: number): Promise<void>;
  /** The guest's console (kernel and systemd messages on ttyS0) so far. */
  console(): Promise<string>;
  /** QMP quit; SIGKILL if QEMU has not ended within 10 s. Removes the boot's files. */
  stop(): Promise<void>;
}

const run = promisify(execFile);

export async function bootGuest(options: BootOptions = {}): Promise<Guest> {
  const image = await boardImage();
  const runDir = await mkdtemp(join(tmpdir(), 'quancun-board-'));
  let machine: RunningMachine | undefined;
  const consoleLog = () => readFile(join(runDir, 'console.log'), 'utf8').catch(() => '');
  try {
    const exchangeDir = join(runDir, 'exchange');
    await mkdir(exchangeDir);
    const vpcdPort = await freeLoopbackPort();
    machine = await startMachine({
      image,
      rootfs: await unpackRootfs(image, runDir),
      projectDir: PROJECT_DIR,
      nodeModulesDir: await realpath(join(PROJECT_DIR, 'node_modules')),
      exchangeDir,
      runDir,
      vpcdHostPort: vpcdPort,
      forwards: options.forwards ?? [],
      memoryMb: options.memoryMb ?? 1536,
      cpus: options.cpus ?? 2,
    });
    const running = machine;
    const qmp = await Qmp.open(running.qmpSocket);
    const agent = new GuestAgent(new JsonChannel(running.agentSocket, 'guest agent'));
    const ptys = await serialPorts(qmp);
    const bootTimeoutMs = options.bootTimeoutMs ?? 240_000;
    const booted = (async () => {
      const started = Date.now();
      await agent.sync(bootTimeoutMs);
      // is-system-running --wait returns when systemd has no more start-up jobs: "running" or "degraded".
      const { stdout } = await agent.exec('systemctl is-system-running --wait', { timeoutMs: bootTimeoutMs - (Date.now() - started) });
      if (stdout.trim() !== 'running') {
        const failed = await agent.exec('systemctl --failed --no-legend; journalctl -b -p warning --no-pager -o cat | tail -n 40');
        throw new Error(`guest booted ${stdout.trim()}:\n${failed.stdout}`);
      }
    })();
    await Promise.race([booted, running.exited.then((code) => Promise.reject(new Error(`QEMU exited (${code})`)))]);
    const stop = async () => {
      if (running.child.exitCode === null && running.child.signalCode === null) {
        await qmp.execute('quit').catch(() => {}); // QEMU may close the socket before it answers
        const timer = setTimeout(() => running.child.kill('SIGKILL'), 10_000);
        await running.exited;
        clearTimeout(timer);
      }
      await rm(runDir, { recursive: true, force: true });
    };
    return guestHandle({ qmp, agent, ptys, vpcdPort, exchangeDir, console: consoleLog, stop }, runDir);
  } catch (err) {
    const message = `board guest did not boot: ${(err as Error).message}\nQEMU: ${machine?.stderr() ?? ''}\nconsole:\n${(await consoleLog()).slice(-4000)}`;
    machine?.child.kill('SIGKILL');
    await machine?.exited;
    await rm(runDir, { recursive: true, force: true });
    throw new Error(message, { cause: err });
  }
}

function guestHandle(parts: Pick<Guest, 'qmp' | 'ptys' | 'vpcdPort' | 'exchangeDir' | 'console' | 'stop'> & { agent: GuestAgent }, runDir: string): Guest {
  const { qmp, agent } = parts;
  const guest: Guest = {
    ...parts,
    exec: (command, options) => agent.exec(command, options),
    async writeFile(guestPath, content) {
      const { code, stderr } = await agent.run(['/bin/sh', '-c', 'mkdir -p "$(dirname "$0")" && cat >"$0"', guestPath], { input: content });
      if (code !== 0) throw new Error(`guest: writing ${guestPath} failed (${code}): ${stderr}`);
    },
    async screendump() {
      const file = join(runDir, `screendump-${process.hrtime.bigint()}.png`);
      await qmp.execute('screendump', { filename: file, format: 'png' });
      try {
        return await readFile(file);
      } finally {
        await rm(file, { force: true });
      }
    },
    async touch(x, y) {
      const abs = (axis: 'x' | 'y', px: number, size: number) =>
        ({ type: 'abs', data: { axis, value: Math.round((px * 32767) / (size - 1)) } });
      const button = (down: boolean) => ({ type: 'btn', data: { down, button: 'left' } });
      await qmp.execute('input-send-event', { events: [abs('x', x, SCREEN.width), abs('y', y, SCREEN.height), button(true)] });
      await qmp.execute('input-send-event', { events: [button(false)] });
    },
    async journal(unit) {
      return (await agent.run(['journalctl', '--boot', '--unit', unit, '--no-pager', '--output', 'cat'])).stdout;
    },
    async waitForUnit(unit, state = 'active', timeoutMs = 120_000) {
      await pollUntil(`${unit} ${state}`, timeoutMs, async () => {
        const current = (await agent.run(['systemctl', 'show', '--property=ActiveState', '--value', unit])).stdout.trim();
        if (current === 'failed' && state !== 'failed') throw new Error(`guest: ${unit} failed instead of becoming ${state}:\n${await guest.journal(unit)}`);
        return current === state;
      });
    },
  };
  return guest;
}

/**
 * Polls real state until `check` gives a value other than false/undefined, and returns it; rejects after timeoutMs.
 * The pause between polls only paces them: what is waited for is the state `check` reads.
 */
/** Runs a command in the guest and returns its stdout, trimmed; a non-zero status fails with its stderr. */
export async function sh(guest: Guest, command: string, timeoutMs?: number): Promise<string> {
  const { stdout, stderr, code } = await guest.exec(command, { timeoutMs });
  if (code !== 0) throw new Error(`guest: ${command}\nexit ${code}: ${stderr}`);
  return stdout.trim();
}

export async function pollUntil<T>(what: string, timeoutMs: number, check: () => Promise<T | false | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== false && value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`waited ${timeoutMs} ms for ${what}`);
    await delay(everyMs);
  }
}

/** The host ends of the guest's serial ports, from QEMU, set raw (no echo, no line editing) for the emulators. */
async function serialPorts(qmp: Qmp): Promise<Guest['ptys']> {
  const chardevs = await qmp.execute<{ label: string; filename: string }[]>('query-chardev');
  const pty = async (label: string) => {
    const path = chardevs.find((c) => c.label === label)?.filename.replace(/^pty:/, '');
    if (!path) throw new Error(`QMP: no chardev ${label}`);
    await run('stty', ['-F', path, 'raw', '-echo']);
    return path;
  };
  return { ttyS1: await pty('ttyS1'), ttyS2: await pty('ttyS2') };
}

/** A port nothing listens on now, on the host's loopback, for QEMU's hostfwd. */
async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}
