/**
 * The board's side of enrolment: one request over an installer's provisioning-only broker account
 * (`installer.<name>`), on that account's own enrolment topics, and the gateway's answer. The broker is trusted only through `ca` (the pinned campus CA,
 * ca-pin.ts); the code is never logged. A refusal from the gateway becomes a QuancunError with the gateway's code.
 */
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { connectOnce } from '../common/mqtt/connect.ts';
import { parseEnrolmentResponse, topics, type EnrolmentRequest, type EnrolmentResponse } from '../common/api/topics.ts';
import { QuancunError } from '../common/errors.ts';

export type EnrolmentGrant = Extract<EnrolmentResponse, { ok: true }>['data'];

export interface EnrolmentLink {
  /** mqtts://host:port (mqtt:// only in tests, see provision.ts). */
  url: string;
  /** The installer's account, `installer.<name>`. */
  username: string;
  password: string;
  /** The pinned campus CA, PEM: the only certificate the connection trusts. */
  ca: string;
  timeoutMs?: number;
}

export async function requestEnrolment(link: EnrolmentLink, data: EnrolmentRequest['data']): Promise<EnrolmentGrant> {
  // The installer's account is its identity and client id (common/api/access.ts): its own pair of enrolment topics.
  const session = link.username;
  const timeoutMs = link.timeoutMs ?? 30_000;
  let client: MqttClient;
  try {
    client = await connectOnce({ url: link.url, identity: session, password: link.password, tls: { ca: link.ca }, connectTimeoutMs: timeoutMs });
  } catch (err) {
    throw new QuancunError('LINK_OFFLINE', `cannot connect to the enrolment broker at ${link.url}: ${(err as Error).message}`, { url: link.url }, { cause: err });
  }
  try {
    const id = randomUUID();
    const answer = new Promise<EnrolmentResponse>((resolve, reject) => {
      const timer = setTimeout(() => reject(new QuancunError('LINK_TIMEOUT', `the gateway did not answer the enrolment within ${timeoutMs / 1000} s`)), timeoutMs);
      client.on('message', (topic, payload) => {
        if (topic !== topics.enrolResponse(session)) return;
        try {
          const response = parseEnrolmentResponse(payload);
          if (response.id !== id) return;
          clearTimeout(timer);
          resolve(response);
        } catch (err) {
          clearTimeout(timer);
          reject(err);
        }
      });
    });
    answer.catch(() => {}); // rejected before it is awaited when the subscribe or publish fails
    await client.subscribeAsync(topics.enrolResponse(session), { qos: 1 });
    const request: EnrolmentRequest = { id, sentAt: new Date().toISOString(), data };
    await client.publishAsync(topics.enrolRequest(session), JSON.stringify(request), { qos: 1 });
    const response = await answer;
    if (!response.ok) throw new QuancunError(response.error.code, response.error.message, { from: 'gateway' });
    if (response.data.kioskId !== data.kioskId) throw new QuancunError('LINK_BAD_MESSAGE', `the gateway enrolled ${response.data.kioskId}, not ${data.kioskId}`);
    return response.data;
  } finally {
    await client.endAsync();
  }
}
