/**
 * The process's side of a `Type=notify` systemd unit (sd_notify(3)): READY=1 once it serves (or shows why it cannot),
 * STATUS= lines for `systemctl status`, STOPPING=1, and WATCHDOG=1 pings — sent only when the process's own checks
 * pass, so a hung event loop, an unwritable journal or a stuck screen gets it restarted (WatchdogSec=). Outside systemd
 * (no NOTIFY_SOCKET) every call does nothing.
 */
import { QuancunError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { datagramSender } from './notify-socket.ts';

export interface ServiceManager {
  /** Whether a service manager listens (NOTIFY_SOCKET is set and reachable). */
  readonly active: boolean;
  /** The unit's WatchdogSec in ms, when the watchdog is on for this process. */
  readonly watchdogMs: number | undefined;
  ready(status: string): void;
  status(text: string): void;
  stopping(status: string): void;
  /** WATCHDOG=1: the process is alive and its checks pass. */
  watchdog(): void;
  close(): void;
}

export function connectServiceManager(log: Logger, env: NodeJS.ProcessEnv = process.env): ServiceManager {
  const path = env.NOTIFY_SOCKET;
  // Abstract sockets ("@…") are what `systemd-run --user` gives; a system unit's is a path.
  const sender = path && !path.startsWith('@') ? datagramSender(path) : undefined;
  if (path && !sender) log.warn('NOTIFY_SOCKET is set but cannot be used (unix-dgram not built, or an abstract socket): no READY or watchdog pings', { path });
  const usec = Number(env.WATCHDOG_USEC);
  const forUs = !env.WATCHDOG_PID || Number(env.WATCHDOG_PID) === process.pid;
  const send = (text: string) => sender?.send(text);
  return {
    active: sender !== undefined,
    watchdogMs: sender && forUs && usec > 0 ? Math.floor(usec / 1000) : undefined,
    ready: (status) => send(`READY=1\nSTATUS=${oneLine(status)}\nMAINPID=${process.pid}`),
    status: (text) => send(`STATUS=${oneLine(text)}`),
    stopping: (status) => send(`STOPPING=1\nSTATUS=${oneLine(status)}`),
    watchdog: () => send('WATCHDOG=1'),
    close: () => sender?.close(),
  };
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').slice(0, 200);

/** One thing the process must still be able to do for the watchdog to be fed (write its journal, draw its screen). */
export interface HealthCheck {
  name: string;
  check(): Promise<void>;
}

/**
 * Pings WATCHDOG=1 every half period while every check passes within that half period. A check that fails or hangs
 * stops the pings (and is logged once); systemd then restarts the unit. The timer itself proves the event loop turns.
 */
export function startWatchdog(manager: ServiceManager, checks: readonly HealthCheck[], log: Logger): () => void {
  const periodMs = manager.watchdogMs;
  if (!periodMs) return () => {};
  const halfMs = Math.max(Math.floor(periodMs / 2), 100);
  let failing: string | undefined;
  let running = false;
  const tick = async () => {
    if (running) return; // the previous round still waits on a check: no ping from this one either
    running = true;
    try {
      for (const c of checks) {
        await Promise.race([
          c.check(),
          new Promise((_, reject) => setTimeout(() => reject(new QuancunError('INTERNAL', `${c.name}: no answer within ${halfMs} ms`)), halfMs).unref()),
        ]).catch((err: unknown) => {
          throw new QuancunError(QuancunError.from(err).code, `${c.name}: ${(err as Error).message}`);
        });
      }
      if (failing) log.info('watchdog checks pass again', { check: failing });
      failing = undefined;
      manager.watchdog();
    } catch (err) {
      const message = (err as Error).message;
      if (failing !== message) log.error('watchdog check failed: no ping, systemd restarts the service if it stays so', { error: message });
      failing = message;
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), halfMs);
  void tick();
  return () => clearInterval(timer);
}
