/**
 * The virtual kiosk board as a QEMU command line, and its start: an amd64 guest under TCG (no usable KVM here) with
 * the board's devices (docs/virtual-board.md). QEMU connects to sockets this process listens on for QMP and the guest
 * agent, so there is nothing to poll for: its start is the connection.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net from 'node:net';
import { dirname, join } from 'node:path';
import type { BoardImage } from './image.ts';

/** The guest's screen: QEMU's standard VGA with this mode preferred, /dev/fb0 in the guest (XRGB8888). */
export const SCREEN = { width: 1280, height: 800 } as const;
/** The guest address where the host's forwarded loopback services answer; "quancun-host" in the guest's /etc/hosts. */
export const HOST_SERVICES_ADDRESS = '10.0.2.100';
/** vpcd's first slot in the guest's pcscd (its own /etc/reader.conf.d/vpcd). */
export const GUEST_VPCD_PORT = 35963;

/** A host loopback service the guest reaches at HOST_SERVICES_ADDRESS:guestPort. */
export interface GuestForward {
  guestPort: number;
  hostPort: number;
}

export interface MachineOptions {
  image: BoardImage;
  /** The unpacked root disk; QEMU never writes to it (snapshot=on). */
  rootfs: string;
  /** Shared read-only at /opt/quancun. */
  projectDir: string;
  /** The project's node_modules as it is on disk (a worktree's may be another checkout's): shared read-only. */
  nodeModulesDir: string;
  /** Shared read-write at /srv/exchange. */
  exchangeDir: string;
  /** Sockets and the console log. */
  runDir: string;
  /** The host loopback port forwarded to the guest's vpcd. */
  vpcdHostPort: number;
  forwards: GuestForward[];
  memoryMb: number;
  cpus: number;
}

export function qemuArgs(o: MachineOptions, sockets: { qmp: string; agent: string }): string[] {
  const share = (tag: string, path: string, readonly: boolean) =>
    ['-virtfs', `local,path=${path},mount_tag=${tag},security_model=none${readonly ? ',readonly=on' : ''}`];
  // restrict=on: the guest has no route anywhere; only these forwards exist, all on the host's loopback.
  const netdev = [
    'user,id=net0,restrict=on',
    `hostfwd=tcp:127.0.0.1:${o.vpcdHostPort}-:${GUEST_VPCD_PORT}`,
    // cmd: one socat per guest connection (a chardev target would be one connection for the whole boot).
    ...o.forwards.map((f) => `guestfwd=tcp:${HOST_SERVICES_ADDRESS}:${f.guestPort}-cmd:socat STDIO TCP:127.0.0.1:${f.hostPort}`),
  ].join(',');
  return [
    '-nodefaults', '-no-user-config', '-display', 'none',
    '-machine', 'pc', '-accel', 'tcg,thread=multi', '-cpu', 'max', '-smp', String(o.cpus), '-m', String(o.memoryMb),
    // qboot starts the kernel ~3 s sooner than SeaBIOS.
    '-bios', '/usr/share/qemu/qboot.rom',
    '-kernel', o.image.kernel, '-initrd', o.image.initrd,
    '-append', 'root=/dev/vda rw console=ttyS0 quiet fsck.mode=skip',
    '-drive', `file=${o.rootfs},if=virtio,format=raw,snapshot=on`,
    '-device', `VGA,xres=${SCREEN.width},yres=${SCREEN.height}`,
    '-device', 'virtio-tablet-pci',
    '-chardev', `file,id=console,path=${join(o.runDir, 'console.log')}`, '-serial', 'chardev:console',
    '-chardev', 'pty,id=ttyS1', '-serial', 'chardev:ttyS1',
    '-chardev', 'pty,id=ttyS2', '-device', 'pci-serial,chardev=ttyS2',
    '-netdev', netdev, '-device', 'virtio-net-pci,netdev=net0',
    ...share('project', o.projectDir, true),
    ...share('modules', o.nodeModulesDir, true),
    ...share('hostnode', dirname(process.execPath), true),
    ...share('exchange', o.exchangeDir, false),
    '-chardev', `socket,id=qmp,path=${sockets.qmp}`, '-mon', 'chardev=qmp,mode=control',
    '-chardev', `socket,id=agent,path=${sockets.agent}`,
    '-device', 'virtio-serial-pci', '-device', 'virtserialport,chardev=agent,name=org.qemu.guest_agent.0',
  ];
}

export interface RunningMachine {
  child: ChildProcess;
  qmpSocket: net.Socket;
  agentSocket: net.Socket;
  /** Resolves with QEMU's exit status when it ends. */
  exited: Promise<number | null>;
  /** QEMU's own messages (not the guest's console). */
  stderr(): string;
}

/** QEMU processes still running when the test process exits are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startMachine(o: MachineOptions): Promise<RunningMachine> {
  const sockets = { qmp: join(o.runDir, 'qmp.sock'), agent: join(o.runDir, 'agent.sock') };
  const servers = [net.createServer(), net.createServer()];
  const connections = servers.map((server) => once(server, 'connection') as Promise<[net.Socket]>);
  await Promise.all(servers.map((server, i) => new Promise<void>((resolve) => server.listen(Object.values(sockets)[i], resolve))));

  const child = spawn('qemu-system-x86_64', qemuArgs(o, sockets), { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => {
    child.once('exit', (code) => {
      running.delete(child);
      for (const server of servers) server.close();
      resolve(code);
    });
  });
  const early = exited.then((code) => {
    throw new Error(`qemu-system-x86_64 exited (${code}) while starting: ${stderr}`);
  });
  try {
    const [[qmpSocket], [agentSocket]] = (await Promise.race([Promise.all(connections), early])) as [[net.Socket], [net.Socket]];
    // One connection each: no other client may take QEMU's place on these sockets.
    for (const server of servers) server.close();
    return { child, qmpSocket, agentSocket, exited, stderr: () => stderr };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    early.catch(() => {});
  }
}
