/** systemd's end of sd_notify(3): a real unix datagram socket bound at a path; each message as text, in order. */
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { tempDir } from './temp-dir.ts';

interface Listener {
  bind(path: string): void;
  on(event: 'message', fn: (buf: Buffer) => void): void;
  close(): void;
}
const { createSocket } = createRequire(import.meta.url)('unix-dgram') as { createSocket(type: 'unix_dgram'): Listener };

export interface NotifySocket {
  /** What NOTIFY_SOCKET is set to. */
  path: string;
  /** The next message, waiting for it. */
  next(): Promise<string>;
}

export async function notifySocket(t: ExecutionContext): Promise<NotifySocket> {
  const path = join(await tempDir(t), 'notify');
  const socket = createSocket('unix_dgram');
  socket.bind(path);
  t.teardown(() => socket.close());
  const messages: string[] = [];
  const waiting: Array<() => void> = [];
  socket.on('message', (buf) => {
    messages.push(buf.toString());
    waiting.splice(0).forEach((w) => w());
  });
  const next = async (): Promise<string> => {
    while (messages.length === 0) await new Promise<void>((r) => waiting.push(r));
    return messages.shift()!;
  };
  return { path, next };
}
