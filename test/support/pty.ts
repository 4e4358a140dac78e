/**
 * A real serial cable for tests: `socat -d -d pty,raw,echo=0 pty,raw,echo=0` makes two pseudo-terminals joined back
 * to back; we parse their /dev/pts paths from socat's stderr. Optional stable symlinks (`link=`) let a test unplug the
 * cable (kill socat) and plug it back in under the same names, the way udev's /dev/serial/by-id names survive a replug.
 * Missing socat is a failure naming the Debian package, never a skip.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';

const SOCAT = '/usr/bin/socat';

/** socat processes still running when the test process exits are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface PtyPair {
  /** The two ends: the host (driver) side and the device (emulator) side. Symlink paths when links were asked for. */
  readonly host: string;
  readonly device: string;
  /** The /dev/pts paths socat reported. */
  readonly pts: [string, string];
  /** Unplug: kill socat; both ends vanish. */
  stop(): Promise<void>;
}

export async function openPtyPair(links?: { host: string; device: string }): Promise<PtyPair> {
  if (!existsSync(SOCAT)) throw new Error(`${SOCAT} not found: install the Debian package "socat" (apt-get install socat)`);
  const end = (link?: string) => `pty,raw,echo=0${link ? `,link=${link}` : ''}`;
  const child = spawn(SOCAT, ['-d', '-d', end(links?.host), end(links?.device)], { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  const exited = new Promise<void>((resolve) => child.once('exit', () => { running.delete(child); resolve(); }));
  const pts = await new Promise<[string, string]>((resolve, reject) => {
    let text = '';
    const found: string[] = [];
    const onData = (chunk: Buffer) => {
      text += chunk.toString('utf8');
      // "N PTY is /dev/pts/3" once per end, then "starting data transfer loop" when both are ready
      for (const m of text.matchAll(/PTY is (\/dev\/pts\/\d+)/g)) if (!found.includes(m[1]!)) found.push(m[1]!);
      if (found.length === 2 && /starting data transfer loop/.test(text)) {
        child.stderr!.off('data', onData);
        child.stderr!.resume(); // keep draining so socat never blocks on a full pipe
        resolve([found[0]!, found[1]!]);
      }
    };
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`socat exited (${code}) before opening ptys: ${text}`)));
  });
  return {
    host: links?.host ?? pts[0],
    device: links?.device ?? pts[1],
    pts,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}
