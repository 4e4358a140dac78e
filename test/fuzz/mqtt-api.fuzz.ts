/**
 * MQTT payloads through the API validators of common/api/topics.ts, as the gateway endpoint and the kiosk link call
 * them: every input goes to every operation's request and response envelope, both retained states, both events, the
 * id peek used to answer a malformed request, and the topic parser. Seeds are the API's own examples in their
 * envelopes and the topic names; JSON seeds are also mutated as JSON (one value replaced or dropped).
 */
import fc from 'fast-check';
import {
  events, isEventKind, operations, opNames, parseEvent, parseGatewayState, parseKioskState, parseRequestEnvelope,
  parseResponseEnvelope, parseTopic, peekId, states, subscriptions, topics,
} from '../../common/api/topics.ts';
import { attempt, jsonMutations, messageBytes, whole, type FuzzTarget } from './target.ts';

const ID = '3f1e9c1a-6b2d-4c8e-9a57-0d4f2b8e6c11';
const SENT_AT = '2025-09-01T08:30:00.000Z';

const documents: unknown[] = [
  ...opNames.flatMap((op) => [
    { id: ID, kioskId: 'JX-A101', op, sentAt: SENT_AT, data: operations[op].example.request },
    { id: ID, ok: true, data: operations[op].example.response },
  ]),
  { id: ID, ok: false, error: { code: 'BANK_DECLINED', message: 'The bank declined the transfer' } },
  states.kiosk.example, states.gateway.example, events.txn.example, events.fault.example,
];
const topicNames = [
  topics.request('JX-A101', 'load.authorize'), topics.response('JX-A101', 'txn.status'), topics.kioskState('JX-A101'),
  topics.event('JX-A101', 'txn'), topics.gatewayState, subscriptions.allRequests,
];
const seeds = [...documents.map((d) => Buffer.from(JSON.stringify(d), 'utf8')), ...topicNames.map((t) => Buffer.from(t, 'utf8'))];

export const mqttApiTarget: FuzzTarget = {
  name: 'mqtt-api',
  about: 'MQTT payloads: request and response envelopes of every operation, retained states, events, topic names',
  inputs: whole(fc.oneof(messageBytes(seeds), jsonMutations(documents))),
  run([payload]) {
    for (const op of opNames) {
      attempt(() => parseRequestEnvelope(op, payload));
      attempt(() => parseResponseEnvelope(op, payload));
    }
    attempt(() => parseKioskState(payload));
    attempt(() => parseGatewayState(payload));
    for (const kind of Object.keys(events)) if (isEventKind(kind)) attempt(() => parseEvent(kind, payload));
    peekId(payload);
    parseTopic(payload!.toString('utf8'));
  },
};
