/**
 * Kiosk K001 as the campus sees it on the broker: its fault events and its retained state, read with a client of the
 * test's own, never from the kiosk's objects.
 */
import type { ExecutionContext } from 'ava';
import mqtt, { type MqttClient } from 'mqtt';

export const FAULT_TOPIC = 'quancun/v1/kiosk/K001/event/fault';
export const STATE_TOPIC = 'quancun/v1/kiosk/K001/state';
export const CLEARED_TOPIC = 'quancun/v1/kiosk/K001/event/fault-cleared';

/** A client watching K001's fault events and retained state; `next` resolves with the first message not yet taken that matches. */
export async function watchKiosk(t: ExecutionContext, mqttUrl: string) {
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: 'operator.test-watcher', username: 'operator.test-watcher' });
  t.teardown(() => client.endAsync());
  const seen: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    seen.push({ topic, body: JSON.parse(payload.toString()) as Record<string, unknown> });
    for (const w of waiters) w();
  });
  await client.subscribeAsync([FAULT_TOPIC, STATE_TOPIC, CLEARED_TOPIC], { qos: 1 });
  /** Messages already returned: each is matched at most once, so waiting for a state twice sees it come twice. */
  const taken = new Set<number>();
  return {
    next(topic: string, match: Record<string, unknown>): Promise<Record<string, unknown>> {
      const find = () => {
        const i = seen.findIndex((m, index) => !taken.has(index) && m.topic === topic && Object.entries(match).every(([k, v]) => m.body[k] === v));
        if (i < 0) return undefined;
        taken.add(i);
        return seen[i]!.body;
      };
      return new Promise((resolve) => {
        const check = () => {
          const found = find();
          if (!found) return;
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
