/**
 * An in-process MQTT 3.1.1 broker (aedes) for a single-box gateway, the simulator and tests.
 * Accepted sockets get TCP_NODELAY: without it every QoS 1 round trip waits on delayed ACKs.
 * It applies the same topic rules as the campus's Mosquitto (common/api/access.ts) through aedes's authorize hooks:
 * a client's identity is its username, its client id must be the same, and it may publish, subscribe and receive only
 * what its role allows. On plain TCP the username is a claim, not a proof: the embedded broker listens on loopback for
 * one box, and a campus network gets Mosquitto with mutual TLS (docs/broker.md). A revoked kiosk is refused by the
 * gateway itself (KIOSK_REVOKED), here as on Mosquitto.
 */
import net from 'node:net';
import { once } from 'node:events';
import { Aedes, type Client } from 'aedes';
import { identityOf, mayPublish, mayReceive, maySubscribe, type Identity } from '../api/access.ts';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

export interface EmbeddedBrokerOptions {
  host?: string;
  port?: number;
}

/** MQTT 3.1.1 CONNACK return code 5: not authorised. */
const NOT_AUTHORISED = 5;

export async function startEmbeddedBroker({ host = '127.0.0.1', port = 0 }: EmbeddedBrokerOptions = {}): Promise<EmbeddedBroker> {
  const identities = new WeakMap<Client, Identity>();
  const allowed = (client: Client | null, check: (identity: Identity) => boolean): boolean => {
    if (!client) return true; // the broker's own messages
    const identity = identities.get(client);
    return identity !== undefined && check(identity);
  };
  const aedes = await Aedes.createBroker({
    authenticate(client, username, _password, done) {
      const identity = identityOf(username);
      // A username must also be the client id: no client takes over another's session.
      if (!identity || client.id !== username) {
        done(Object.assign(new Error(`${username ?? '(no username)'} may not connect as ${client.id}`), { returnCode: NOT_AUTHORISED }), false);
        return;
      }
      identities.set(client, identity);
      done(null, true);
    },
    authorizePublish(client, packet, callback) {
      callback(allowed(client, (id) => mayPublish(id, packet.topic)) ? null : new Error(`not allowed to publish on ${packet.topic}`));
    },
    authorizeSubscribe(client, subscription, callback) {
      callback(null, allowed(client, (id) => maySubscribe(id, subscription.topic)) ? subscription : null);
    },
    authorizeForward(client, packet) {
      return allowed(client, (id) => mayReceive(id, packet.topic)) ? packet : null;
    },
  });
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
