/**
 * Commands in the guest through qemu-guest-agent on a virtio-serial port (0.2-0.6 s each under TCG, against 1-2 s
 * for a unit that runs scripts dropped into a share). guest-exec starts a process and returns at once; its end is
 * polled with guest-exec-status. Every command runs under coreutils `timeout` in the guest, so one that hangs is
 * killed there too, not only given up on here.
 */
import { randomInt } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import type { JsonChannel } from './json-channel.ts';

export interface ExecResult {
  stdout: string;
  stderr: string;
  /** The exit status; 124 when the guest's `timeout` killed the command. */
  code: number;
}

export interface ExecOptions {
  /** Bytes for the command's standard input. */
  input?: string | Buffer;
  /** Default 120 s: TCG runs 10-30x slower than the host. */
  timeoutMs?: number;
}

interface ExecStatus {
  exited: boolean;
  exitcode?: number;
  signal?: number;
  'out-data'?: string;
  'err-data'?: string;
}

/** Polling guest-exec-status: quick at first for short commands, then once a second. */
const POLL_FIRST_MS = 50;
const POLL_MAX_MS = 1000;

export class GuestAgent {
  constructor(readonly channel: JsonChannel) {}

  /**
   * Resolves once the agent answers. What is written before the agent runs waits in QEMU's socket until the guest
   * opens the port, so one request is enough; the id tells its answer from any other.
   */
  async sync(timeoutMs: number): Promise<void> {
    const id = randomInt(2 ** 31);
    const answer = await this.channel.execute<number>('guest-sync-delimited', { id }, timeoutMs);
    if (answer !== id) throw new Error(`guest agent: sync answered ${answer}, expected ${id}`);
  }

  /** Runs `sh -c command` as root in the guest and waits for it to end. */
  async exec(command: string, { input, timeoutMs = 120_000 }: ExecOptions = {}): Promise<ExecResult> {
    return this.run(['/bin/sh', '-c', command], { input, timeoutMs });
  }

  /** Runs argv (no shell) as root in the guest and waits for it to end. */
  async run(argv: string[], { input, timeoutMs = 120_000 }: ExecOptions = {}): Promise<ExecResult> {
    const seconds = String(Math.ceil(timeoutMs / 1000));
    const { pid } = await this.channel.execute<{ pid: number }>('guest-exec', {
      path: '/usr/bin/timeout',
      arg: ['-k', '5', seconds, ...argv],
      'capture-output': true,
      ...(input === undefined ? {} : { 'input-data': Buffer.from(input).toString('base64') }),
    });
    // The guest's timeout kills the command at timeoutMs (and -k 5 s later for sure); this bound covers the agent.
    const deadline = Date.now() + timeoutMs + 15_000;
    for (let wait = POLL_FIRST_MS; ; wait = Math.min(wait * 2, POLL_MAX_MS)) {
      const status = await this.channel.execute<ExecStatus>('guest-exec-status', { pid });
      if (status.exited) {
        return {
          stdout: Buffer.from(status['out-data'] ?? '', 'base64').toString('utf8'),
          stderr: Buffer.from(status['err-data'] ?? '', 'base64').toString('utf8'),
          code: status.exitcode ?? 128 + (status.signal ?? 0),
        };
      }
      if (Date.now() > deadline) throw new Error(`guest: ${argv.join(' ')} did not end within ${timeoutMs} ms`);
      await delay(wait);
    }
  }
}
