/**
 * The one way our processes connect mqtt.js: MQTT 3.1.1 (aedes 1.2 refuses v5). Kiosk and gateway keep a link with a
 * retained last will and TCP_NODELAY on every socket (Nagle + delayed ACKs otherwise add ~40 ms to each small QoS 1
 * message); provisioning and the command sender connect once for one exchange. Either way the identity
 * (common/api/access.ts) is the client id and the username; over mqtts:// the client certificate proves it and the
 * broker takes the certificate's CN instead.
 */
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
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

/** PEM texts or bytes of the campus CA and, for mutual TLS, the client's certificate and key. */
export interface BrokerTls {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
}

/** A client as its identity, with TLS files only over mqtts:// (mqtt.js turns an mqtt:// URL into TLS when given a certificate). */
function identityOptions(url: string, identity: string, tls: BrokerTls | undefined): IClientOptions {
  return {
    protocolVersion: 4,
    clientId: identity,
    username: identity,
    ...(tls && url.startsWith('mqtts:') ? { ...tls, rejectUnauthorized: true } : {}),
  };
}

export interface OneExchangeOptions {
  url: string;
  identity: string;
  /** An installer's account on the provisioning listener. */
  password?: string;
  tls?: BrokerTls;
  connectTimeoutMs: number;
}

/** A client for one exchange (an enrolment, a report, a command): a clean session, no reconnects. */
export function connectOnce(o: OneExchangeOptions): Promise<MqttClient> {
  return mqtt.connectAsync(o.url, {
    ...identityOptions(o.url, o.identity, o.tls),
    ...(o.password !== undefined ? { password: o.password } : {}),
    clean: true,
    reconnectPeriod: 0,
    connectTimeout: o.connectTimeoutMs,
  });
}

/**
 * Starts connecting and returns at once; mqtt.js keeps reconnecting. Callers subscribe in their own 'connect'
 * handler (resubscribe is off) so subscriptions are whole again even when the broker lost the session.
 */
export function connectMqtt(opts: ConnectOptions): MqttClient {
  const log = opts.log ?? silentLog;
  const willPacket = () => ({ ...opts.will(), qos: 1 as const, retain: true });
  const client = mqtt.connect(opts.url, {
    ...identityOptions(opts.url, opts.identity, opts.tls && { ca: opts.tls.ca, cert: opts.tls.cert, key: opts.tls.key }),
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
