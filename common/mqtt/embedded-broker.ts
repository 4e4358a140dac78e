/**
 * An in-process MQTT 3.1.1 broker (aedes) for a single-box gateway, the simulator and tests.
 * Accepted sockets get TCP_NODELAY: without it every QoS 1 round trip waits on delayed ACKs.
 */
import net from 'node:net';
import { once } from 'node:events';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export async function startEmbeddedBroker({ host = '127.0.0.1', port = 0 }: { host?: string; port?: number } = {}): Promise<EmbeddedBroker> {
  const aedes = await Aedes.createBroker();
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    socket.setNoDelay(true);
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    aedes.handle(socket);
  });
  server.listen(port, host);
  await once(server, 'listening');
  const bound = (server.address() as net.AddressInfo).port;
  return {
    url: `mqtt://${host}:${bound}`,
    port: bound,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Drop connections the way a dying broker does, so clients notice at once.
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      await closed;
    },
  };
}
