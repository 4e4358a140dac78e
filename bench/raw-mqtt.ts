/** A bare mqtt.js client for the floor measurements, set up as the product's links are (MQTT 3.1.1, TCP_NODELAY). */
import type { Socket } from 'node:net';
import mqtt, { type MqttClient } from 'mqtt';
import type { TlsMaterial } from '../common/mqtt/tls-files.ts';

/** `tls`: the campus CA, certificate and key, for an mqtts:// broker (the certificate's CN is then the identity). */
export async function rawMqttClient(url: string, clientId: string, tls?: Pick<TlsMaterial, 'ca' | 'cert' | 'key'>): Promise<MqttClient> {
  const client = await mqtt.connectAsync(url, { protocolVersion: 4, clientId, ...(tls ? { ca: tls.ca, cert: tls.cert, key: tls.key } : {}) });
  (client.stream as Socket).setNoDelay(true);
  return client;
}

/** The next message the client receives. */
export function nextMessage(client: MqttClient): Promise<Buffer> {
  return new Promise((resolve) => client.once('message', (_topic, payload) => resolve(payload)));
}
