/**
 * Datagrams to systemd's own sockets (the notify socket of sd_notify(3), the journal's native socket): Node has no
 * unix datagram socket, so this uses unix-dgram, an optional native module. Without it, or outside systemd, nothing
 * is sent and the process runs as before.
 */
import { createRequire } from 'node:module';

interface DgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, callback?: (err?: Error) => void): void;
  on(event: 'error', listener: (err: Error) => void): void;
  close(): void;
}

const require = createRequire(import.meta.url);

/** A datagram sender to `path`; undefined when the native module is not there. */
export function datagramSender(path: string): { send(message: string | Buffer): void; close(): void } | undefined {
  let socket: DgramSocket;
  try {
    const { createSocket } = require('unix-dgram') as { createSocket(type: 'unix_dgram'): DgramSocket };
    socket = createSocket('unix_dgram');
  } catch {
    return undefined;
  }
  // A socket that went away (systemd re-executing) must not end the process: the message is lost, as sd_notify's would be.
  socket.on('error', () => {});
  return {
    send: (message) => {
      const bytes = Buffer.from(message);
      socket.send(bytes, 0, bytes.length, path, () => {});
    },
    close: () => socket.close(),
  };
}
