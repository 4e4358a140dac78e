/**
 * The kiosk's MQTT link to the front-end gateway: typed request/response, retained kiosk state (also the last
 * will), telemetry events, remote commands in (their results out) and the retained announcements in. Every connection is numbered (`seq`): the
 * state published on connect is its birth, and the will set before that connect carries the same number, so the
 * gateway can tell a stale will from the fresh birth it arrived after. Error meanings a caller can rely on:
 * - LINK_OFFLINE from request(): nothing was published (broker or gateway down), the gateway cannot have acted.
 * - LINK_TIMEOUT: the request was published and no answer came; the outcome is unknown, ask `txn.status`.
 * A request in flight when the connection drops is not failed early: its response may still come, else it times out.
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { MqttClient } from 'mqtt';
import { QuancunError } from '../../common/errors.ts';
import { connectMqtt, silentLog, type LinkLog } from '../../common/mqtt/connect.ts';
import type { TlsMaterial } from '../../common/mqtt/tls-files.ts';
import {
  commandResultSchema, isOpName, parseEvent, parseGatewayState, parseOpRequest, parseResponseEnvelope, parseTopic, peekId, subscriptions, topics,
  type CommandResult, type EventKind, type EventPayload, type KioskMode, type KioskState, type OpName, type OpRequest, type OpResponse,
} from '../../common/api/topics.ts';

export interface KioskLinkOptions {
  url: string;
  kioskId: string;
  version: string;
  /** The campus CA, the kiosk's certificate (CN = kiosk id) and key, for an mqtts:// broker. */
  tls?: TlsMaterial;
  requestTimeoutMs?: number;
  /**
   * How long a request waits, while the broker is connected, for a gateway that is away — a standby taking the store
   * over, a gateway restarting — before it fails LINK_OFFLINE unsent (default 3000; 0: at once). With the broker
   * itself gone it fails at once.
   */
  offlineGraceMs?: number;
  reconnectPeriodMs?: number;
  log?: LinkLog;
  /** Keeps each new connection number (kiosk journal); a birth is published only once its number is saved. */
  saveSeq?: (seq: number) => Promise<void>;
}

interface Pending {
  op: OpName;
  resolve(data: unknown): void;
  reject(err: unknown): void;
}

export interface KioskLinkEvents {
  online: [];
  offline: [];
  /**
   * The gateway cannot be reached: the broker is gone, or the gateway has been away longer than the grace. The kiosk
   * stops offering service on this, not on `offline`: a standby's takeover is not shown to the cardholder.
   */
  unreachable: [];
  /** A remote command arrived on `command/{name}` (unverified: runtime/commands/ checks it). */
  command: [name: string, payload: Buffer];
  /** Connected to the broker, before subscribing: the retained announcements come again after this. */
  connected: [];
  /** An announcement for all kiosks or for this one, as retained on `topic` (unverified; empty: cleared). */
  announcement: [topic: string, id: string, payload: Buffer];
}

export class KioskLink extends EventEmitter<KioskLinkEvents> {
  readonly #opts: KioskLinkOptions & { requestTimeoutMs: number; offlineGraceMs: number; log: LinkLog };
  readonly #stateTopic: string;
  #client: MqttClient | undefined;
  #gatewayOnline = false;
  #wasOnline = false;
  /** Running while the gateway is away within the grace, the broker connected: the link still counts as reachable. */
  #awayTimer: NodeJS.Timeout | undefined;
  #state: Pick<KioskState, 'mode' | 'since' | 'reason' | 'note'> = { mode: 'starting', since: new Date().toISOString() };
  /** This connection's birth number; one more after every disconnection, saved before the next birth. */
  #seq = 0;
  #saving: Promise<void> = Promise.resolve();
  readonly #pending = new Map<string, Pending>();
  /** Rejecters of events awaiting PUBACK, failed when the connection drops so the outbox can retry. */
  readonly #eventsInFlight = new Set<(err: QuancunError) => void>();

  constructor({ requestTimeoutMs = 15_000, offlineGraceMs = 3000, log = silentLog, ...rest }: KioskLinkOptions) {
    super();
    this.#opts = { requestTimeoutMs, offlineGraceMs, log, ...rest };
    this.#stateTopic = topics.kioskState(rest.kioskId);
  }

  /** Connected to the broker and the gateway's retained state says it is online. */
  get online(): boolean {
    return this.#client?.connected === true && this.#gatewayOnline;
  }

  /** Online, or the gateway away for less than the grace while the broker is connected (see `unreachable`). */
  get reachable(): boolean {
    return this.online || this.#awayTimer !== undefined;
  }

  /** The underlying client, for diagnostics and fault-injection tests; undefined when stopped. */
  get client(): MqttClient | undefined {
    return this.#client;
  }

  /** The current connection's birth number (kiosk state `seq`). */
  get seq(): number {
    return this.#seq;
  }

  /**
   * Returns at once: the link comes up in the background ('online'), so a kiosk starts without its network. `seq`:
   * the first connection's birth number, already saved (KioskJournal.reserveBirthSeq).
   */
  async start(seq = 0): Promise<void> {
    if (this.#client) return;
    this.#seq = seq;
    const client = connectMqtt({
      url: this.#opts.url,
      identity: this.#opts.kioskId,
      ...(this.#opts.tls ? { tls: this.#opts.tls } : {}),
      role: 'kiosk',
      will: () => ({ topic: this.#stateTopic, payload: this.#statePayload(false, { mode: 'offline', reason: 'connection lost' }) }),
      reconnectPeriodMs: this.#opts.reconnectPeriodMs,
      log: this.#opts.log,
    });
    client.on('connect', () => void this.#onConnect(client));
    client.on('close', () => this.#onClose());
    client.on('message', (topic, payload) => this.#onMessage(topic, payload));
    this.#client = client;
  }

  /** Publishes the offline state (so no last will fires), then disconnects. Requests still waiting fail LINK_OFFLINE. */
  async stop(): Promise<void> {
    const client = this.#client;
    if (!client) return;
    this.#client = undefined;
    this.#clearAway();
    for (const pending of this.#pending.values()) {
      pending.reject(new QuancunError('LINK_OFFLINE', `link stopped while waiting for the ${pending.op} response`, { op: pending.op }));
    }
    if (client.connected) {
      const payload = this.#statePayload(false, { mode: 'offline', reason: 'stopped' });
      await client.publishAsync(this.#stateTopic, payload, { qos: 1, retain: true }).catch((err: Error) => {
        this.#opts.log.warn('could not publish the offline state', { error: err.message });
      });
    }
    await client.endAsync(!client.connected);
  }

  /**
   * Resolves once the gateway is online, waiting up to offlineGraceMs while the broker is connected and the gateway
   * away; else LINK_OFFLINE: `what` was not sent. A kiosk rides through a standby's takeover (about a second) this way.
   */
  async whenOnline(what: string, signal?: AbortSignal): Promise<void> {
    signal?.throwIfAborted();
    if (this.online) return;
    const offline = () => new QuancunError('LINK_OFFLINE', `gateway not reachable, ${what} not sent`, { op: what });
    const grace = this.#opts.offlineGraceMs;
    if (!this.#client?.connected || grace <= 0) throw offline();
    await new Promise<void>((resolve, reject) => {
      const end = (err?: unknown) => {
        clearTimeout(timer);
        this.off('online', onOnline);
        signal?.removeEventListener('abort', onAbort);
        if (err === undefined) resolve();
        else reject(err);
      };
      const onOnline = () => end();
      const onAbort = () => end(signal!.reason);
      const timer = setTimeout(() => end(offline()), grace);
      this.on('online', onOnline);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  async request<O extends OpName>(op: O, data: OpRequest<O>, opts: { timeoutMs?: number; signal?: AbortSignal } = {}): Promise<OpResponse<O>> {
    const body = parseOpRequest(op, data);
    const { signal, timeoutMs = this.#opts.requestTimeoutMs } = opts;
    if (!this.online) await this.whenOnline(op, signal);
    // Aborted while it waited (the card left): nothing is sent.
    signal?.throwIfAborted();
    const client = this.#client!;
    const id = randomUUID();
    const envelope = { id, kioskId: this.#opts.kioskId, op, sentAt: new Date().toISOString(), data: body };
    return new Promise<OpResponse<O>>((resolve, reject) => {
      const settle = () => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.#pending.delete(id);
      };
      const onAbort = () => pending.reject(signal?.reason);
      const pending: Pending = {
        op,
        resolve: (value) => (settle(), resolve(value as OpResponse<O>)),
        reject: (err) => (settle(), reject(err)),
      };
      const timer = setTimeout(
        () => pending.reject(new QuancunError('LINK_TIMEOUT', `no ${op} response within ${timeoutMs} ms`, { op, id })),
        timeoutMs,
      );
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#pending.set(id, pending);
      client.publish(topics.request(this.#opts.kioskId, op), JSON.stringify(envelope), { qos: 1 }, (err) => {
        if (err) pending.reject(new QuancunError('LINK_OFFLINE', `${op} not sent: ${err.message}`, { op, id }, { cause: err }));
      });
    });
  }

  /** Sets the kiosk's mode; published retained now if connected, else on the next connect. */
  async publishState(mode: KioskMode, reason?: string, note?: string): Promise<void> {
    this.#state = { mode, since: new Date().toISOString(), ...(reason === undefined ? {} : { reason }), ...(note === undefined ? {} : { note }) };
    const client = this.#client;
    if (client?.connected) await this.#publishOwnState(client);
  }

  /** Resolves once the broker has the event (PUBACK); LINK_OFFLINE when disconnected, for the outbox to retry. */
  async publishEvent<K extends EventKind>(kind: K, payload: EventPayload<K>): Promise<void> {
    const body = parseEvent(kind, payload);
    const client = this.#client;
    if (!client?.connected) throw new QuancunError('LINK_OFFLINE', `broker not reachable, ${kind} event not sent`, { kind });
    await new Promise<void>((resolve, reject) => {
      const fail = (err: QuancunError) => (this.#eventsInFlight.delete(fail), reject(err));
      this.#eventsInFlight.add(fail);
      client.publish(topics.event(this.#opts.kioskId, kind), JSON.stringify(body), { qos: 1 }, (err) => {
        if (err) return fail(new QuancunError('LINK_OFFLINE', `${kind} event not sent: ${err.message}`, { kind }, { cause: err }));
        this.#eventsInFlight.delete(fail);
        resolve();
      });
    });
  }

  /** The state again as it is (resync): a retained copy the broker lost comes back. */
  async republishState(): Promise<void> {
    const client = this.#client;
    if (client?.connected) await this.#publishOwnState(client);
  }

  /** A command's result; LINK_OFFLINE when disconnected (the sender times out and may send a fresh command). */
  async publishCommandResult(name: string, result: CommandResult): Promise<void> {
    const client = this.#client;
    if (!client?.connected) throw new QuancunError('LINK_OFFLINE', `broker not reachable, ${name} result not sent`, { command: name });
    await client.publishAsync(topics.commandResult(this.#opts.kioskId, name), JSON.stringify(commandResultSchema.parse(result)), { qos: 1 });
  }

  #statePayload(online: boolean, state: Pick<KioskState, 'mode' | 'reason' | 'note'> & { since?: string }): string {
    const payload: KioskState = { online, since: new Date().toISOString(), version: this.#opts.version, seq: this.#seq, ...state };
    return JSON.stringify(payload);
  }

  async #publishOwnState(client: MqttClient): Promise<void> {
    await client.publishAsync(this.#stateTopic, this.#statePayload(true, this.#state), { qos: 1, retain: true }).catch((err: Error) => {
      this.#opts.log.warn('could not publish the kiosk state', { error: err.message });
    });
  }

  async #onConnect(client: MqttClient): Promise<void> {
    this.#opts.log.info('connected to the broker', { kioskId: this.#opts.kioskId });
    this.emit('connected');
    try {
      const { kioskId } = this.#opts;
      await client.subscribeAsync([
        subscriptions.responsesFor(kioskId), subscriptions.gatewayState, subscriptions.commandsFor(kioskId), ...subscriptions.announcementsFor(kioskId),
      ], { qos: 1 });
    } catch (err) {
      this.#opts.log.error('subscribe failed', { error: (err as Error).message });
      return;
    }
    await this.#saving;
    await this.#publishOwnState(client);
  }

  #onClose(): void {
    // The next connection's will is built from this number (connect.ts rebuilds it before every reconnect).
    const seq = ++this.#seq;
    const save = this.#opts.saveSeq;
    if (save) {
      this.#saving = this.#saving.then(() => save(seq)).catch((err: unknown) => {
        this.#opts.log.warn('connection number not saved; a restart may repeat it', { seq, error: (err as Error).message });
      });
    }
    this.#gatewayOnline = false;
    this.#updateOnline();
    // The broker itself is gone: no grace left for a takeover.
    if (this.#clearAway()) this.emit('unreachable');
    const lost = new QuancunError('LINK_OFFLINE', 'connection lost before the broker acknowledged the event');
    for (const fail of this.#eventsInFlight) fail(lost);
  }

  #updateOnline(): void {
    const online = this.online;
    if (online === this.#wasOnline) return;
    this.#wasOnline = online;
    this.#opts.log.info(online ? 'gateway link online' : 'gateway link offline', { kioskId: this.#opts.kioskId });
    if (online) this.#clearAway();
    else if (this.#client?.connected && this.#opts.offlineGraceMs > 0) {
      this.#awayTimer = setTimeout(() => (this.#awayTimer = undefined, this.emit('unreachable')), this.#opts.offlineGraceMs);
    }
    this.emit(online ? 'online' : 'offline');
    if (!online && !this.#awayTimer) this.emit('unreachable');
  }

  /** Whether a grace was running. */
  #clearAway(): boolean {
    const running = this.#awayTimer !== undefined;
    clearTimeout(this.#awayTimer);
    this.#awayTimer = undefined;
    return running;
  }

  #onMessage(topic: string, payload: Buffer): void {
    const parsed = parseTopic(topic);
    if (parsed?.type === 'gateway-state') {
      this.#gatewayOnline = this.#gatewayIsOnline(payload);
      this.#updateOnline();
    } else if (parsed?.type === 'response' && parsed.kioskId === this.#opts.kioskId && isOpName(parsed.op)) {
      this.#onResponse(parsed.op, payload);
    } else if (parsed?.type === 'command' && parsed.kioskId === this.#opts.kioskId) {
      this.emit('command', parsed.name, payload);
    } else if (parsed?.type === 'announcement' && (parsed.kioskId ?? this.#opts.kioskId) === this.#opts.kioskId) {
      this.emit('announcement', topic, parsed.id, payload);
    }
  }

  #gatewayIsOnline(payload: Buffer): boolean {
    if (payload.length === 0) return false; // retained state cleared
    try {
      return parseGatewayState(payload).online;
    } catch (err) {
      this.#opts.log.warn('ignoring a malformed gateway state', { error: (err as Error).message });
      return false;
    }
  }

  #onResponse(op: OpName, payload: Buffer): void {
    let response;
    try {
      response = parseResponseEnvelope(op, payload);
    } catch (err) {
      const id = peekId(payload);
      this.#opts.log.warn('malformed response', { op, id, error: (err as Error).message });
      const pending = id === undefined ? undefined : this.#pending.get(id);
      if (pending?.op === op) pending.reject(err);
      return;
    }
    const pending = this.#pending.get(response.id);
    if (pending?.op !== op) return; // late (timed out) or not ours
    if (response.ok) pending.resolve(response.data);
    else pending.reject(new QuancunError(response.error.code, response.error.message, { op, id: response.id }));
  }
}
