/**
 * A kiosk's network cable in the simulated world: a TCP relay between the kiosk and its MQTT broker. Pulling it drops
 * the kiosk's connections and refuses new ones, so the kiosk link really goes offline (and its last will fires at the
 * broker) while the gateway and other kiosks stay connected; plugging it back lets the link reconnect on its own.
 */
import net from 'node:net';
import { once } from 'node:events';
import { QuancunError } from '../../common/errors.ts';

export interface NetworkCable {
  /** What the kiosk connects to instead of the broker. */
  url: string;
  readonly plugged: boolean;
  unplug(): void;
  replug(): void;
  close(): Promise<void>;
}

export async function startNetworkCable(brokerUrl: string): Promise<NetworkCable> {
  const target = new URL(brokerUrl);
  if (target.protocol !== 'mqtt:') throw new QuancunError('CONFIG_INVALID', `a simulated network cable relays mqtt:// only, not ${target.protocol}`);
  const host = target.hostname;
  const port = Number(target.port || 1883);
  let plugged = true;
  const sockets = new Set<net.Socket>();
  const track = (socket: net.Socket): void => {
    socket.setNoDelay(true); // as the broker does: MQTT round trips must not wait on delayed ACKs
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
  };
  const server = net.createServer((kiosk) => {
    track(kiosk);
    if (!plugged) return void kiosk.destroy();
    const broker = net.connect({ host, port });
    track(broker);
    kiosk.pipe(broker).pipe(kiosk);
    kiosk.once('close', () => broker.destroy());
    broker.once('close', () => kiosk.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port: relayPort } = server.address() as net.AddressInfo;
  const url = new URL(brokerUrl);
  url.hostname = '127.0.0.1';
  url.port = String(relayPort);
  return {
    url: url.toString().replace(/\/$/, ''),
    get plugged() {
      return plugged;
    },
    unplug() {
      plugged = false;
      for (const socket of sockets) socket.destroy();
    },
    replug() {
      plugged = true;
    },
    async close() {
      plugged = false;
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
  };
}
