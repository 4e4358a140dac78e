/** What a broker does with a connect attempt: 'connected', or the refusal's message (TLS alert, CONNACK code). */
import mqtt, { type IClientOptions } from 'mqtt';

export async function connectOutcome(url: string, o: IClientOptions): Promise<string> {
  const client = mqtt.connect(url, { protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 5000, ...o });
  try {
    return await new Promise<string>((resolve) => {
      client.once('connect', () => resolve('connected'));
      client.once('error', (err) => resolve(err.message));
    });
  } finally {
    client.end(true);
  }
}
