/**
 * The gateway's side of the MQTT API: answers kiosk requests, receives kiosk events, tracks kiosks' retained
 * states and publishes the gateway's own. Requests from one kiosk are answered strictly in order (a kiosk's
 * `load.abandon` must never overtake its `load.authorize`); different kiosks are served concurrently. With a
 * campus CA it also answers enrolment requests, one at a time. It publishes the console's signed commands on its own
 * connection (the gateway's identity may hold one session only) and hands their results on (`command-result`).
 */
import { EventEmitter } from 'node:events';
import type { MqttClient } from 'mqtt';
import { KeyedQueue } from '../../common/keyed-queue.ts';
import { ERROR_CODES, QuancunError, type ErrorCode } from '../../common/errors.ts';
import { connectMqtt, silentLog, type LinkLog } from '../../common/mqtt/connect.ts';
import type { TlsMaterial } from '../../common/mqtt/tls-files.ts';
import {
  isEventKind, isOpName, parseCommandResult, parseEnrolmentRequest, parseEnrolmentResponse, parseEvent, parseKioskState, parseOpResponse,
  parseRequestEnvelope, parseTopic, peekId, subscriptions, topics,
  type BankLinkState, type CommandResult, type EnrolmentRequest, type EnrolmentResponse, type ErrorResponse, type EventKind, type EventPayload,
  type GatewayState, type KioskState, type OpName, type OpRequest, type OpResponse, type RequestEnvelope, type ResponseEnvelope,
  type SignedCommand,
} from '../../common/api/topics.ts';

export interface GatewayEndpointOptions {
  url: string;
  /** `gateway.<name>` (common/api/access.ts); with `tls`, the certificate's CN. */
  identity: string;
  tls?: TlsMaterial;
  version: string;
  reconnectPeriodMs?: number;
  log?: LinkLog;
  /** Throws (KIOSK_NOT_ENROLLED, KIOSK_REVOKED) for a kiosk the gateway does not serve; its requests are refused. */
  admit?: (kioskId: string) => Promise<void>;
}

export type OpHandler<O extends OpName> = (kioskId: string, data: OpRequest<O>, meta: { id: string }) => Promise<OpResponse<O>>;
export type EventHandler<K extends EventKind> = (kioskId: string, payload: EventPayload<K>) => void | Promise<void>;

export type EnrolmentHandler = (data: EnrolmentRequest['data'], meta: { id: string; session: string }) => Promise<unknown>;

type AnyOpHandler = (kioskId: string, data: unknown, meta: { id: string }) => Promise<unknown>;
type AnyEventHandler = (kioskId: string, payload: unknown) => void | Promise<void>;

/** The queue enrolments wait in: one at a time, whichever session they come from. Never a kiosk id. */
const ENROLMENTS = Symbol('enrolments');

export class GatewayEndpoint extends EventEmitter<{
  'kiosk-state': [kioskId: string, state: KioskState | undefined];
  'command-result': [kioskId: string, result: CommandResult];
  /** The link to the broker came up, subscribed and announced (true), or went down (false). */
  link: [up: boolean];
}> {
  readonly #opts: GatewayEndpointOptions & { log: LinkLog };
  readonly #handlers = new Map<OpName, AnyOpHandler>();
  readonly #eventHandlers = new Map<EventKind, AnyEventHandler>();
  readonly #kioskStates = new Map<string, KioskState>();
  /** The seq of the newest birth (online state) of each kiosk: an offline state below it is a stale will. */
  readonly #births = new Map<string, number>();
  /** Each kiosk's requests, and the enrolments, one at a time. */
  readonly #queues = new KeyedQueue<string | typeof ENROLMENTS>();
  #enrol: EnrolmentHandler | undefined;
  #client: MqttClient | undefined;
  #banks: GatewayState['banks'] = {};
  #since = new Date().toISOString();

  constructor({ log = silentLog, ...rest }: GatewayEndpointOptions) {
    super();
    this.#opts = { log, ...rest };
  }

  handle<O extends OpName>(op: O, handler: OpHandler<O>): void {
    if (this.#handlers.has(op)) throw new QuancunError('INTERNAL', `a handler for ${op} is already registered`);
    this.#handlers.set(op, (kioskId, data, meta) => handler(kioskId, data as OpRequest<O>, meta));
  }

  /** Serves enrolment requests (subscribed from the next connect): the handler's result is the response's data. */
  handleEnrolment(handler: EnrolmentHandler): void {
    if (this.#enrol) throw new QuancunError('INTERNAL', 'an enrolment handler is already registered');
    this.#enrol = handler;
  }

  onEvent<K extends EventKind>(kind: K, handler: EventHandler<K>): void {
    if (this.#eventHandlers.has(kind)) throw new QuancunError('INTERNAL', `a handler for ${kind} events is already registered`);
    this.#eventHandlers.set(kind, (kioskId, payload) => handler(kioskId, payload as EventPayload<K>));
  }

  /** Whether the endpoint is connected to the broker now. */
  get connected(): boolean {
    return this.#client?.connected ?? false;
  }

  /** Last retained state of every kiosk seen, by kiosk id. */
  get kioskStates(): ReadonlyMap<string, KioskState> {
    return this.#kioskStates;
  }

  /** Publishes a signed command to its kiosk; LINK_OFFLINE while the broker is out of reach (it would never be answered). */
  publishCommand(command: SignedCommand): Promise<void> {
    return this.#publishConnected(topics.command(command.kioskId, command.command), JSON.stringify(command), false);
  }

  /** Returns at once; the endpoint subscribes and announces itself online on every (re)connect. */
  async start(): Promise<void> {
    if (this.#client) return;
    const client = connectMqtt({
      url: this.#opts.url,
      identity: this.#opts.identity,
      ...(this.#opts.tls ? { tls: this.#opts.tls } : {}),
      role: 'gateway',
      will: () => ({ topic: topics.gatewayState, payload: this.#statePayload(false, {}) }),
      reconnectPeriodMs: this.#opts.reconnectPeriodMs,
      log: this.#opts.log,
    });
    client.on('connect', () => void this.#onConnect(client));
    client.on('close', () => this.emit('link', false));
    client.on('message', (topic, payload) => this.#onMessage(client, topic, payload));
    this.#client = client;
  }

  /** Stops taking requests, answers those already received, publishes the offline state and disconnects. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    if (client.connected) {
      // Requests received before the UNSUBACK are already queued; none arrive after it.
      await client.unsubscribeAsync(this.#requestFilters()).catch((err: Error) => this.#opts.log.warn('unsubscribe failed', { error: err.message }));
    }
    await this.#queues.idle();
    if (client.connected) {
      await client
        .publishAsync(topics.gatewayState, this.#statePayload(false, {}), { qos: 1, retain: true })
        .catch((err: Error) => this.#opts.log.warn('could not publish the offline state', { error: err.message }));
    }
    await client.endAsync(!client.connected);
  }

  /** Records the banks' link states; published retained now if connected, else on the next connect. */
  async publishState(banks: Record<string, BankLinkState>): Promise<void> {
    this.#banks = { ...banks };
    const client = this.#client;
    if (client?.connected) await this.#publishOwnState(client);
  }

  /** Publishes retained at QoS 1 (an empty payload clears the topic); resolves at the PUBACK. LINK_OFFLINE when not connected. */
  retain(topic: string, payload: string): Promise<void> {
    return this.#publishConnected(topic, payload, true);
  }

  /** QoS 1, resolved at the PUBACK; LINK_OFFLINE at once when not connected (a queued message would go out stale). */
  async #publishConnected(topic: string, payload: string, retain: boolean): Promise<void> {
    const client = this.#client;
    if (!client?.connected) throw new QuancunError('LINK_OFFLINE', `the gateway is not connected to the broker: ${topic} not published`);
    await client.publishAsync(topic, payload, { qos: 1, retain });
  }

  #statePayload(online: boolean, banks: GatewayState['banks']): string {
    const state: GatewayState = { online, since: online ? this.#since : new Date().toISOString(), version: this.#opts.version, banks };
    return JSON.stringify(state);
  }

  async #publishOwnState(client: MqttClient): Promise<void> {
    await client
      .publishAsync(topics.gatewayState, this.#statePayload(true, this.#banks), { qos: 1, retain: true })
      .catch((err: Error) => this.#opts.log.warn('could not publish the gateway state', { error: err.message }));
  }

  async #onConnect(client: MqttClient): Promise<void> {
    this.#opts.log.info('connected to the broker', { identity: this.#opts.identity });
    this.#since = new Date().toISOString();
    try {
      await client.subscribeAsync([...this.#requestFilters(), subscriptions.allKioskStates, subscriptions.allEvents, subscriptions.allCommandResults], { qos: 1 });
    } catch (err) {
      this.#opts.log.error('subscribe failed', { error: (err as Error).message });
      return;
    }
    await this.#publishOwnState(client);
    this.emit('link', true);
  }

  #requestFilters(): string[] {
    return this.#enrol ? [subscriptions.allRequests, subscriptions.allEnrolRequests] : [subscriptions.allRequests];
  }

  #onMessage(client: MqttClient, topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed?.type === 'request') this.#enqueue(parsed.kioskId, () => this.#answer(client, parsed.kioskId, parsed.op, payload));
    else if (parsed?.type === 'enrol-request') this.#enqueue(ENROLMENTS, () => this.#answerEnrolment(client, parsed.session, payload));
    else if (parsed?.type === 'kiosk-state') this.#onKioskState(parsed.kioskId, payload);
    else if (parsed?.type === 'event') this.#onEvent(parsed.kioskId, parsed.kind, payload);
    else if (parsed?.type === 'command-result') this.#onCommandResult(parsed.kioskId, payload);
  }

  #onCommandResult(kioskId: string, payload: Buffer): void {
    let result: CommandResult;
    try {
      result = parseCommandResult(payload);
    } catch (err) {
      this.#opts.log.warn('ignoring a malformed command result', { kioskId, error: (err as Error).message });
      return;
    }
    this.emit('command-result', kioskId, result);
  }

  #enqueue(queue: string | typeof ENROLMENTS, job: () => Promise<void>): void {
    void this.#queues.run(queue, job)
      .catch((err: unknown) => this.#opts.log.error('request processing failed', { queue: String(queue), error: String(err) }));
  }


  async #answer(client: MqttClient, kioskId: string, op: string, payload: Buffer): Promise<void> {
    let request: RequestEnvelope<OpName>;
    try {
      if (!isOpName(op)) throw new QuancunError('LINK_BAD_MESSAGE', `unknown operation ${op}`);
      request = parseRequestEnvelope(op, payload);
      if (request.kioskId !== kioskId) throw new QuancunError('LINK_BAD_MESSAGE', `${op} request: kioskId: does not match the topic`);
    } catch (err) {
      // The message names paths and rules only, never values: the payload may hold a PIN block or card number.
      const message = (err as Error).message;
      const id = peekId(payload);
      this.#opts.log.warn('rejected a malformed request', { kioskId, op, id, error: message });
      if (id !== undefined) this.#respond(client, kioskId, op, failure(id, 'LINK_BAD_MESSAGE', message));
      return;
    }
    this.#respond(client, kioskId, op, await this.#run(kioskId, request));
  }

  async #run(kioskId: string, { id, op, data }: RequestEnvelope<OpName>): Promise<ResponseEnvelope<OpName>> {
    const handler = this.#handlers.get(op);
    if (!handler) {
      this.#opts.log.error('no handler registered', { kioskId, op, id });
      return failure(id, 'INTERNAL', `${op} is not served by this gateway`);
    }
    return this.#serve({ kioskId, op, id }, async () => {
      await this.#opts.admit?.(kioskId);
      return handler(kioskId, data, { id });
    }, (result) => ({ id, ok: true, data: parseOpResponse(op, result) }));
  }

  /** The response `answer` makes of a handler's result, or the failure to answer with: its QuancunError, else INTERNAL. */
  async #serve<R>(context: { id: string } & Record<string, unknown>, handler: () => Promise<unknown>, answer: (result: unknown) => R,
  ): Promise<R | ErrorResponse> {
    const { id } = context;
    let result: unknown;
    try {
      result = await handler();
    } catch (err) {
      if (err instanceof QuancunError) return failure(id, err.code, err.message);
      this.#opts.log.error('handler failed', { ...context, error: err instanceof Error ? err.message : String(err) });
      return failure(id, 'INTERNAL', ERROR_CODES.INTERNAL.en);
    }
    try {
      return answer(result);
    } catch (err) {
      this.#opts.log.error('handler returned a malformed response', { ...context, error: (err as Error).message });
      return failure(id, 'INTERNAL', ERROR_CODES.INTERNAL.en);
    }
  }

  /** Like a kiosk request, on the session's own topic pair; the code in it is never logged. */
  async #answerEnrolment(client: MqttClient, session: string, payload: Buffer): Promise<void> {
    const publish = (response: EnrolmentResponse) =>
      client.publish(topics.enrolResponse(session), JSON.stringify(response), { qos: 1 }, (err) => {
        if (err) this.#opts.log.warn('could not publish an enrolment response', { session, id: response.id, error: err.message });
      });
    let request: EnrolmentRequest;
    try {
      request = parseEnrolmentRequest(payload);
    } catch (err) {
      const message = (err as Error).message;
      const id = peekId(payload);
      this.#opts.log.warn('rejected a malformed enrolment request', { session, id, error: message });
      if (id !== undefined) publish(failure(id, 'LINK_BAD_MESSAGE', message));
      return;
    }
    const { id } = request;
    publish(await this.#serve({ session, id, op: 'enrol' }, () => this.#enrol!(request.data, { id, session }),
      (data) => parseEnrolmentResponse({ id, ok: true, data })));
  }

  #respond(client: MqttClient, kioskId: string, op: string, response: ResponseEnvelope<OpName>): void {
    client.publish(topics.response(kioskId, op), JSON.stringify(response), { qos: 1 }, (err) => {
      if (err) this.#opts.log.warn('could not publish a response', { kioskId, op, id: response.id, error: err.message });
    });
  }

  #onKioskState(kioskId: string, payload: Buffer): void {
    let state: KioskState | undefined;
    try {
      state = payload.length === 0 ? undefined : parseKioskState(payload); // empty = retained state cleared
    } catch (err) {
      this.#opts.log.warn('ignoring a malformed kiosk state', { kioskId, error: (err as Error).message });
      return;
    }
    if (state?.online) this.#births.set(kioskId, state.seq);
    const birth = this.#births.get(kioskId);
    if (state && !state.online && birth !== undefined && state.seq < birth) {
      // The will of an earlier connection, delivered after the kiosk was already back: it must not take it offline.
      this.#opts.log.info('ignoring a stale last will', { kioskId, seq: state.seq, birth });
      return;
    }
    const known = this.#kioskStates.get(kioskId);
    if (JSON.stringify(known) === JSON.stringify(state)) return; // the same retained state again after a resubscribe
    if (state) this.#kioskStates.set(kioskId, state);
    else this.#kioskStates.delete(kioskId);
    this.emit('kiosk-state', kioskId, state);
  }

  #onEvent(kioskId: string, kind: string, payload: Buffer): void {
    if (!isEventKind(kind)) return;
    const handler = this.#eventHandlers.get(kind);
    if (!handler) return;
    let event: unknown;
    try {
      event = parseEvent(kind, payload);
    } catch (err) {
      this.#opts.log.warn('ignoring a malformed event', { kioskId, kind, error: (err as Error).message });
      return;
    }
    void Promise.resolve()
      .then(() => handler(kioskId, event))
      .catch((err: unknown) => this.#opts.log.error('event handler failed', { kioskId, kind, error: String(err) }));
  }
}

function failure(id: string, code: ErrorCode, message: string): ErrorResponse {
  return { id, ok: false, error: { code, message } };
}
