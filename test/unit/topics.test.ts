import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import {
  commandNames, commands, events, gatewayLoadStateSchema, parseCommandArgs, signedBytes, operations, opNames, parseEvent, parseGatewayState, parseKioskState, parseOpRequest, parseOpResponse,
  parseRequestEnvelope, parseResponseEnvelope, parseTopic, peekId, states, subscriptions, topics, type EventKind,
} from '../../common/api/topics.ts';
import { GATEWAY_LOAD_MACHINE } from '../../gateway/loads/gateway-load-machine.ts';

const ID = '3f1e9c1a-6b2d-4c8e-9a57-0d4f2b8e6c11';

function badMessage(t: import('ava').ExecutionContext, fn: () => unknown, path: string): void {
  const err = t.throws(fn, { instanceOf: QuancunError });
  t.is(err?.code, 'LINK_BAD_MESSAGE');
  t.true(err?.message.includes(path), `"${err?.message}" names ${path}`);
}

test('topic names are exactly the documented strings', (t) => {
  t.is(topics.request('JX-A101', 'card.lookup'), 'quancun/v1/kiosk/JX-A101/request/card.lookup');
  t.is(topics.response('JX-A101', 'load.authorize'), 'quancun/v1/kiosk/JX-A101/response/load.authorize');
  t.is(topics.kioskState('JX-A101'), 'quancun/v1/kiosk/JX-A101/state');
  t.is(topics.event('JX-A101', 'txn'), 'quancun/v1/kiosk/JX-A101/event/txn');
  t.is(topics.gatewayState, 'quancun/v1/gateway/state');
  t.is(subscriptions.allRequests, 'quancun/v1/kiosk/+/request/+');
  t.is(subscriptions.responsesFor('JX-A101'), 'quancun/v1/kiosk/JX-A101/response/+');
  t.is(subscriptions.allKioskStates, 'quancun/v1/kiosk/+/state');
  t.is(subscriptions.allEvents, 'quancun/v1/kiosk/+/event/+');
  t.is(subscriptions.gatewayState, 'quancun/v1/gateway/state');
  t.deepEqual(opNames, ['card.lookup', 'load.authorize', 'load.confirm', 'load.recredit', 'load.park', 'load.abandon', 'fee.lookup', 'fee.begin', 'fee.confirm', 'fee.abandon', 'txn.status',
    'records.query']);
});

test('an id that would widen or escape a topic is refused', (t) => {
  for (const bad of ['', '+', '#', 'a/b', 'K 1', '-lead']) {
    t.throws(() => topics.kioskState(bad), { instanceOf: QuancunError }, JSON.stringify(bad));
  }
});

test('received topics are recognised, foreign ones are not', (t) => {
  t.deepEqual(parseTopic('quancun/v1/kiosk/JX-A101/request/card.lookup'), { type: 'request', kioskId: 'JX-A101', op: 'card.lookup' });
  t.deepEqual(parseTopic('quancun/v1/kiosk/JX-A101/response/txn.status'), { type: 'response', kioskId: 'JX-A101', op: 'txn.status' });
  t.deepEqual(parseTopic('quancun/v1/kiosk/JX-A101/state'), { type: 'kiosk-state', kioskId: 'JX-A101' });
  t.deepEqual(parseTopic('quancun/v1/kiosk/JX-A101/event/fault'), { type: 'event', kioskId: 'JX-A101', kind: 'fault' });
  t.deepEqual(parseTopic('quancun/v1/gateway/state'), { type: 'gateway-state' });
  t.deepEqual(parseTopic('quancun/v1/enrol/prov-7f3a/request'), { type: 'enrol-request', session: 'prov-7f3a' });
  for (const foreign of ['quancun/v2/kiosk/K/state', 'quancun/v1/kiosk/K/state/x', 'quancun/v1/kiosk/K/request', 'zigbee2mqtt/bridge/state',
    'quancun/v1/kiosk/K/other/x', 'quancun/v1/kiosk/K/request/a$b', 'quancun/v1/enrol/prov-7f3a/response',
    'quancun/v1/enrol/prov-7f3a/request/x', 'quancun/v1/enrol/a$b/request', 'quancun/v1/other/K/state']) {
    t.is(parseTopic(foreign), undefined, foreign);
  }
});

for (const op of opNames) {
  test(`${op}: the example request and response validate, in their envelopes too`, (t) => {
    const { request, response } = operations[op].example;
    t.deepEqual(parseOpRequest(op, request), request);
    const envelope = { id: ID, kioskId: 'JX-A101', op, sentAt: '2025-09-01T08:30:00.000Z', data: request };
    t.deepEqual(parseRequestEnvelope(op, Buffer.from(JSON.stringify(envelope))), envelope);
    t.deepEqual(parseResponseEnvelope(op, JSON.stringify({ id: ID, ok: true, data: response })), { id: ID, ok: true, data: response });
  });
}

for (const kind of Object.keys(events) as EventKind[]) {
  test(`${kind} event: the example validates`, (t) => {
    t.deepEqual(parseEvent(kind, events[kind].example), events[kind].example);
  });
}

test('state examples validate, and so does a last will', (t) => {
  t.deepEqual(parseKioskState(Buffer.from(JSON.stringify(states.kiosk.example))), states.kiosk.example);
  t.deepEqual(parseGatewayState(states.gateway.example), states.gateway.example);
  const will = { online: false, mode: 'offline', since: '2025-09-01T08:30:00.000Z', version: '0.1.0', reason: 'connection lost', seq: 41 };
  t.deepEqual(parseKioskState(will), will);
});

test('an error response carries its code', (t) => {
  const response = { id: ID, ok: false, error: { code: 'BANK_DECLINED', message: 'declined' } };
  t.deepEqual(parseResponseEnvelope('load.authorize', JSON.stringify(response)), response);
});

test('bad payloads are LINK_BAD_MESSAGE naming the path, never the value', (t) => {
  const authorize = operations['load.authorize'].example.request;
  badMessage(t, () => parseOpRequest('load.authorize', { ...authorize, pinBlock: '0123456789abcdef' }), 'data.pinBlock');
  badMessage(t, () => parseOpRequest('load.authorize', { ...authorize, amount: 0 }), 'data.amount');
  badMessage(t, () => parseOpRequest('load.authorize', { ...authorize, amount: 10.5 }), 'data.amount');
  badMessage(t, () => parseOpRequest('load.authorize', { ...authorize, card: { ...authorize.card, onlineCounter: 65536 } }), 'data.card.onlineCounter');
  badMessage(t, () => parseOpRequest('card.lookup', { asn: '1234' }), 'data.asn');
  badMessage(t, () => parseRequestEnvelope('card.lookup', '{"id": "not-a-uuid"'), 'not JSON');
  const envelope = { id: ID, kioskId: 'JX-A101', op: 'card.lookup', sentAt: '2025-09-01T08:30:00.000Z', data: { asn: 'X' } };
  badMessage(t, () => parseRequestEnvelope('card.lookup', JSON.stringify(envelope)), 'data.asn');
  badMessage(t, () => parseRequestEnvelope('card.lookup', { ...envelope, sentAt: 'yesterday' }), 'sentAt');
  badMessage(t, () => parseRequestEnvelope('txn.status', { ...envelope, data: { txnId: 'T1' } }), 'op');
  badMessage(t, () => parseResponseEnvelope('txn.status', { id: ID, ok: false, error: { code: 'NO_SUCH_CODE', message: 'x' } }), 'error.code');
  badMessage(t, () => parseResponseEnvelope('load.confirm', { id: ID, ok: true, data: { posting: 'later', tacVerified: true } }), 'data.posting');
  badMessage(t, () => parseKioskState({ online: true, mode: 'asleep', since: '2025-09-01T08:30:00.000Z', version: '1' }), 'mode');
  badMessage(t, () => parseEvent('txn', { ...events.txn.example, kind: 'refund' }), 'kind');

  const leak = t.throws(() => parseOpRequest('load.authorize', { ...authorize, pinBlock: 'SECRETPINBLOCK00' }));
  t.false(leak?.message.includes('SECRETPINBLOCK00'));
});

const GATEWAY_LOAD_STATES = [
  'received', 'rejected', 'bank-pending', 'declined', 'approved', 'mac2-issued', 'completed', 'tac-failed', 'reversing', 'reversed', 'pending-load',
];

test('the gateway reports exactly the states of its load machine, and a kiosk refuses any other', (t) => {
  t.deepEqual(gatewayLoadStateSchema.options, GATEWAY_LOAD_STATES);
  t.deepEqual(Object.keys(GATEWAY_LOAD_MACHINE.transitions).sort(), [...GATEWAY_LOAD_STATES].sort());
  const status = operations['txn.status'].example.response;
  t.is(parseOpResponse('txn.status', { ...status, state: 'reversing' }).state, 'reversing');
  // `authorized` is the kiosk's name for a debited load, not a gateway state.
  badMessage(t, () => parseOpResponse('txn.status', { ...status, state: 'authorized' }), 'data.state');
  badMessage(t, () => parseResponseEnvelope('load.park', { id: ID, ok: true, data: { state: 'mac2-issued' } }), 'data.state');
});

test('peekId finds the id of a message that fails validation, if it has one', (t) => {
  t.is(peekId(Buffer.from(JSON.stringify({ id: ID, data: 'junk' }))), ID);
  t.is(peekId(Buffer.from('not json')), undefined);
  t.is(peekId(Buffer.from('null')), undefined);
  t.is(peekId({ id: 42 }), undefined);
});

test('command topics are the documented strings and are recognised', (t) => {
  t.is(topics.command('JX-A101', 'restart'), 'quancun/v1/kiosk/JX-A101/command/restart');
  t.is(topics.commandResult('JX-A101', 'restart'), 'quancun/v1/kiosk/JX-A101/command-result/restart');
  t.is(subscriptions.commandsFor('JX-A101'), 'quancun/v1/kiosk/JX-A101/command/+');
  t.deepEqual(parseTopic('quancun/v1/kiosk/JX-A101/command/print-test'), { type: 'command', kioskId: 'JX-A101', name: 'print-test' });
  t.deepEqual(parseTopic('quancun/v1/kiosk/JX-A101/command-result/print-test'), { type: 'command-result', kioskId: 'JX-A101', name: 'print-test' });
});

for (const name of commandNames) {
  test(`${name} command: the example arguments and result validate`, (t) => {
    const { request: args, response: result } = commands[name].example;
    t.deepEqual(parseCommandArgs(name, args), args);
    t.deepEqual(commands[name].response.parse(result), result);
  });
}

test('the signed bytes are the fields but the signature, keys sorted at every depth, no whitespace', (t) => {
  const bytes = signedBytes({
    nonce: 'n0nce-n0nce-n0nce', id: '3f1e9c1a-6b2d-4c8e-9a57-0d4f2b8e6c11', kioskId: 'K001', command: 'out-of-service',
    args: { reason: '检修 "A"' }, issuedAt: '2025-09-01T08:30:00.000Z', expiresAt: '2025-09-01T08:35:00.000Z',
    issuer: { certificate: 'PEM' }, signature: 'ignored',
  });
  t.is(bytes.toString('utf8'), '{"args":{"reason":"检修 \\"A\\""},"command":"out-of-service","expiresAt":"2025-09-01T08:35:00.000Z",'
    + '"id":"3f1e9c1a-6b2d-4c8e-9a57-0d4f2b8e6c11","issuedAt":"2025-09-01T08:30:00.000Z","issuer":{"certificate":"PEM"},'
    + '"kioskId":"K001","nonce":"n0nce-n0nce-n0nce"}');
});
