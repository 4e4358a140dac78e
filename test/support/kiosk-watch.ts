/**
 * Kiosk K001 as the campus sees it on the broker: its fault events and its retained state (or the topics a test
 * names), read with a client of the test's own, never from the kiosk's objects.
 */
import type { ExecutionContext } from 'ava';
import { randomUUID } from 'node:crypto';
import mqtt, { type MqttClient } from 'mqtt';

export const FAULT_TOPIC = 'quancun/v1/kiosk/K001/event/fault';
export const STATE_TOPIC = 'quancun/v1/kiosk/K001/state';
export const CLEARED_TOPIC = 'quancun/v1/kiosk/K001/event/fault-cleared';
export const TELEMETRY_TOPIC = 'quancun/v1/kiosk/K001/event/telemetry';

/** A message body matches when each given field is equal, or when the predicate accepts it. */
export type BodyMatch = Record<string, unknown> | ((body: Record<string, unknown>) => boolean);

/** A client watching K001's fault events and retained state; `next` resolves with the first message not yet taken that matches. */
export async function watchKiosk(t: ExecutionContext, mqttUrl: string, filters = [FAULT_TOPIC, STATE_TOPIC, CLEARED_TOPIC]) {
  const identity = `operator.watch-${randomUUID().slice(0, 8)}`;
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { protocolVersion: 4, clientId: identity, username: identity });
  t.teardown(() => client.endAsync());
  const seen: Array<{ topic: string; body: Record<string, unknown> }> = [];
  const waiters = new Set<() => void>();
  client.on('message', (topic, payload) => {
    // An empty payload clears a retained topic: its body is {}.
    seen.push({ topic, body: payload.length === 0 ? {} : JSON.parse(payload.toString()) as Record<string, unknown> });
    for (const w of waiters) w();
  });
  await client.subscribeAsync(filters, { qos: 1 });
  /** Messages already returned: each is matched at most once, so waiting for a state twice sees it come twice. */
  const taken = new Set<number>();
  return {
    /** The test's own client, to publish with. */
    client,
    /** Rejects after `timeoutMs` naming what was awaited and the messages seen on that topic, so a failure says where things stood. */
    next(topic: string, match: BodyMatch, timeoutMs = 60_000): Promise<Record<string, unknown>> {
      const accepts = typeof match === 'function' ? match : (body: Record<string, unknown>) => Object.entries(match).every(([k, v]) => body[k] === v);
      const find = () => {
        const i = seen.findIndex((m, index) => !taken.has(index) && m.topic === topic && accepts(m.body));
        if (i < 0) return undefined;
        taken.add(i);
        return seen[i]!.body;
      };
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check);
          const bodies = seen.filter((m) => m.topic === topic).map((m) => JSON.stringify(m.body));
          reject(new Error(`no message on ${topic} matching ${typeof match === 'function' ? 'the predicate' : JSON.stringify(match)} within ${timeoutMs} ms; seen there: ${bodies.join(' ') || 'nothing'}`));
        }, timeoutMs);
        const check = () => {
          const found = find();
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(found);
        };
        waiters.add(check);
        check();
      });
    },
  };
}
