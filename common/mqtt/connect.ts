/**
 * The one way kiosk and gateway connect mqtt.js: MQTT 3.1.1 (aedes 1.2 refuses v5), a retained last will,
 * and TCP_NODELAY on every socket (Nagle + delayed ACKs otherwise add ~40 ms to each small QoS 1 message).
 * The identity (common/api/access.ts) is the client id and the username; over mqtts:// the client certificate
 * proves it and the broker takes the certificate's CN instead.
 */
import mqtt, { type MqttClient } from 'mqtt';
import type { Socket } from 'node:net';
import type { TlsMaterial } from './tls-files.ts';

export interface LinkLog {
  info(msg: string, fields?: object): void;
  warn(msg: string, fields?: object): void;
  error(msg: string, fields?: object): void;
}

export const silentLog: LinkLog = { info() {}, warn() {}, error() {} };

export interface ConnectOptions {
  url: string;
  /** Who this client is on the broker: a kiosk id, `gateway.<name>` or `operator.<name>`. */
  identity: string;
  /** The campus CA, certificate and key, for an mqtts:// broker. */
  tls?: TlsMaterial;
  /**
   * kiosk: clean session — a response that arrives while it is away is useless, it asks `txn.status` instead.
   * gateway: persistent session — kiosk events published while the gateway restarts wait for it at the broker.
   */
  role: 'kiosk' | 'gateway';
  /** Built again before every (re)connect so a time inside it is current. Published retained, QoS 1. */
  will: () => { topic: string; payload: string };
  reconnectPeriodMs?: number;
  log?: LinkLog;
}

/**
 * Starts connecting and returns at once; mqtt.js keeps reconnecting. Callers subscribe in their own 'connect'
 * handler (resubscribe is off) so subscriptions are whole again even when the broker lost the session.
 */
export function connectMqtt(opts: ConnectOptions): MqttClient {
  const log = opts.log ?? silentLog;
  const willPacket = () => ({ ...opts.will(), qos: 1 as const, retain: true });
  const client = mqtt.connect(opts.url, {
    protocolVersion: 4,
    clientId: opts.identity,
    username: opts.identity,
    ...(opts.tls ? { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key } : {}),
    clean: opts.role === 'kiosk',
    resubscribe: false,
    reconnectPeriod: opts.reconnectPeriodMs ?? 1000,
    connectTimeout: 10_000,
    will: willPacket(),
  });
  client.on('reconnect', () => {
    client.options.will = willPacket();
  });
  // The stream is a new socket after every reconnect.
  client.on('connect', () => (client.stream as Socket).setNoDelay?.(true));
  // Without a listener mqtt.js would throw connection errors (ECONNREFUSED while the broker is down).
  client.on('error', (err) => log.warn('mqtt connection error', { identity: opts.identity, error: err.message }));
  return client;
}
