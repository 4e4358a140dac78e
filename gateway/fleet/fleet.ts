/**
 * The fleet as the gateway sees it, for the operator console: every kiosk of the config and any other seen on the
 * broker, with its retained state (online, mode and reason), its device faults, its last telemetry and a bounded
 * history of it for charts, its loads today from the gateway's journal, and the remote commands sent to it from here.
 * Everything but the loads is kept in memory: telemetry comes every minute from every kiosk, and the gateway's store
 * syncs every write to disk for the money journal; a restarted gateway has the states again at once (retained on the
 * broker) and the telemetry within one interval. `kiosk` is emitted with a kiosk's new view on every change, `command`
 * with every command result, `link` when the gateway's own link to the broker goes down or up (the states are stale
 * while it is down), so the console can push them.
 */
import { EventEmitter } from 'node:events';
import type { CommandName, CommandResult, EventPayload, KioskMode, KioskState } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import type { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { KioskCommands } from '../commands/kiosk-commands.ts';
import type { GatewayEndpoint } from '../link/gateway-endpoint.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../loads/gateway-load-machine.ts';
import type { DayLoads, LoadTally } from '../loads/load-tally.ts';

/** 24 hours of points at the kiosks' default telemetry interval (60 s); about 100 bytes each. */
export const HISTORY_POINTS = 1440;
/** Commands kept per kiosk for its page. */
export const RECENT_COMMANDS = 20;

export type Telemetry = EventPayload<'telemetry'>;

export interface KioskFault {
  device: string;
  code: string;
  /** From the kiosk's `fault` event; a fault seen only in telemetry has none. */
  message?: string;
  since: string;
}

/** One telemetry report reduced to what the kiosk page charts. */
export interface TelemetryPoint {
  /** Unix seconds. */
  at: number;
  rssBytes: number;
  heapUsedBytes: number;
  eventLoopP99Ms: number;
  temperatureC: number | null;
  outboxDepth: number;
  openRecords: number;
}

export interface FleetKiosk {
  id: string;
  /** In the gateway config's `kiosks`; false for one only seen on the broker. */
  configured: boolean;
  online: boolean;
  /** Null until the kiosk's state was seen. */
  mode: KioskMode | null;
  since?: string;
  reason?: string;
  /** The operator's reason for an out-of-service. */
  note?: string;
  version?: string;
  faults: KioskFault[];
  telemetry?: Telemetry;
  today: DayLoads;
}

/** A command sent from here, as its kiosk answered it (or COMMAND_TIMEOUT, or the refusal to send it). */
export interface CommandRecord {
  kioskId: string;
  command: CommandName;
  args: unknown;
  sentAt: string;
  status: CommandResult['status'] | 'error';
  /** The kiosk's result (waiting, then the final one). */
  result?: CommandResult;
  /** Why it has no final result: COMMAND_TIMEOUT, LINK_OFFLINE, KEY_MISSING, a bad argument. */
  error?: { code: string; message: string };
}

/** A load as the kiosk page lists it: no card serial, no MAC or TAC. */
export interface LoadSummary {
  txnId: string;
  state: GatewayLoadState;
  amount: number;
  bankId?: string;
  stan?: number;
  code?: string;
  startedAt: string;
  updatedAt: string;
}

interface Tracked {
  faults: Map<string, KioskFault>;
  telemetry?: Telemetry;
  history: TelemetryPoint[];
  commands: CommandRecord[];
}

export interface FleetOptions {
  kioskIds: readonly string[];
  endpoint: GatewayEndpoint;
  loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>;
  tally: LoadTally;
  commands: KioskCommands;
}

export class Fleet extends EventEmitter<{ kiosk: [kiosk: FleetKiosk]; command: [record: CommandRecord]; link: [up: boolean] }> {
  readonly #o: FleetOptions;
  readonly #configured: Set<string>;
  readonly #tracked = new Map<string, Tracked>();

  constructor(o: FleetOptions) {
    super();
    this.#o = o;
    this.#configured = new Set(o.kioskIds);
    o.endpoint.on('kiosk-state', (kioskId) => this.#changed(kioskId));
    o.endpoint.on('link', (up) => this.emit('link', up));
    o.endpoint.onEvent('telemetry', (kioskId, t) => this.#onTelemetry(kioskId, t));
    o.endpoint.onEvent('fault', (kioskId, f) => {
      this.#track(kioskId).faults.set(f.device, { device: f.device, code: f.code, message: f.message, since: f.at });
      this.#changed(kioskId);
    });
    o.endpoint.onEvent('fault-cleared', (kioskId, f) => {
      if (this.#track(kioskId).faults.delete(f.device)) this.#changed(kioskId);
    });
    o.tally.on('changed', (kioskId) => this.#changed(kioskId));
  }

  /** Whether the gateway is connected to the broker: while it is not, what the kiosks last said may be out of date. */
  get brokerConnected(): boolean {
    return this.#o.endpoint.connected;
  }

  /** Every kiosk, by id. */
  kiosks(): FleetKiosk[] {
    const ids = new Set([...this.#configured, ...this.#o.endpoint.kioskStates.keys(), ...this.#tracked.keys()]);
    return [...ids].sort().map((id) => this.#view(id));
  }

  /** KIOSK_UNKNOWN for a kiosk neither configured nor seen. */
  kiosk(kioskId: string): FleetKiosk {
    this.#require(kioskId);
    return this.#view(kioskId);
  }

  /** The kiosk's telemetry points, oldest first (at most HISTORY_POINTS). */
  history(kioskId: string): TelemetryPoint[] {
    this.#require(kioskId);
    return [...(this.#tracked.get(kioskId)?.history ?? [])];
  }

  /** The commands sent to the kiosk from here, newest first. */
  commands(kioskId: string): CommandRecord[] {
    this.#require(kioskId);
    return [...(this.#tracked.get(kioskId)?.commands ?? [])].reverse();
  }

  /** The kiosk's most recent loads in the gateway's journal, newest first. */
  async recentLoads(kioskId: string, limit = 20): Promise<LoadSummary[]> {
    this.#require(kioskId);
    // Transaction ids start with their kiosk's id: a key range read, then K003's told from a kiosk K003-X's.
    const records = (await this.#o.loads.all(`${kioskId}-`)).filter((r) => r.kioskId === kioskId);
    return records
      .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0))
      .slice(0, limit)
      .map((r) => ({
        txnId: r.id, state: r.state, amount: r.amount, startedAt: r.history[0]?.at ?? r.updatedAt, updatedAt: r.updatedAt,
        ...(r.bankId ? { bankId: r.bankId } : {}), ...(r.stan !== undefined ? { stan: r.stan } : {}), ...(r.code ? { code: r.code } : {}),
      }));
  }

  /**
   * Sends a signed command and resolves with the kiosk's final result; a result that is not `done` is still a result
   * (refused, failed). Throws KIOSK_UNKNOWN, or what kept the command from an answer (COMMAND_TIMEOUT, LINK_OFFLINE,
   * KEY_MISSING, LINK_BAD_MESSAGE for bad arguments), after recording it.
   */
  async command(kioskId: string, name: CommandName, args: unknown): Promise<CommandResult> {
    this.#require(kioskId);
    const record: CommandRecord = { kioskId, command: name, args, sentAt: new Date().toISOString(), status: 'waiting' };
    const commands = this.#track(kioskId).commands;
    commands.push(record);
    if (commands.length > RECENT_COMMANDS) commands.shift();
    const update = (patch: Partial<CommandRecord>) => {
      Object.assign(record, patch);
      this.emit('command', { ...record });
    };
    try {
      const result = await this.#o.commands.send(kioskId, name, args, (waiting) => update({ status: 'waiting', result: waiting }));
      update({ status: result.status, result });
      return result;
    } catch (err) {
      const e = QuancunError.from(err);
      update({ status: 'error', error: { code: e.code, message: e.message } });
      throw e;
    }
  }

  #require(kioskId: string): void {
    if (!this.#configured.has(kioskId) && !this.#o.endpoint.kioskStates.has(kioskId) && !this.#tracked.has(kioskId)) {
      throw new QuancunError('KIOSK_UNKNOWN', `no kiosk ${kioskId} in the configuration or on the broker`, { kioskId });
    }
  }

  #track(kioskId: string): Tracked {
    let t = this.#tracked.get(kioskId);
    if (!t) this.#tracked.set(kioskId, (t = { faults: new Map(), history: [], commands: [] }));
    return t;
  }

  #onTelemetry(kioskId: string, t: Telemetry): void {
    const tracked = this.#track(kioskId);
    tracked.telemetry = t;
    // The report lists every device the kiosk has: it is the whole truth about their faults, and may show one whose
    // fault event was lost while the link was down.
    for (const [device, d] of Object.entries(t.devices)) {
      const known = tracked.faults.get(device);
      if (d.ok) tracked.faults.delete(device);
      else if (known?.code !== d.code) tracked.faults.set(device, { device, code: d.code ?? 'DEVICE_UNAVAILABLE', since: t.at });
    }
    tracked.history.push({
      at: Math.floor(Date.parse(t.at) / 1000), rssBytes: t.memory.rssBytes, heapUsedBytes: t.memory.heapUsedBytes,
      eventLoopP99Ms: t.eventLoopDelayMs.p99, temperatureC: t.temperatureC ?? null, outboxDepth: t.outboxDepth, openRecords: t.journal.openRecords,
    });
    if (tracked.history.length > HISTORY_POINTS) tracked.history.shift();
    this.#changed(kioskId);
  }

  /** A view is built for whom listens (the console's live page): a gateway serving loads changes a kiosk's tally each time. */
  #changed(kioskId: string): void {
    if (this.listenerCount('kiosk') > 0) this.emit('kiosk', this.#view(kioskId));
  }

  #view(kioskId: string): FleetKiosk {
    const state: KioskState | undefined = this.#o.endpoint.kioskStates.get(kioskId);
    const tracked = this.#tracked.get(kioskId);
    const version = tracked?.telemetry?.version ?? state?.version;
    return {
      id: kioskId,
      configured: this.#configured.has(kioskId),
      online: state?.online ?? false,
      mode: state?.mode ?? null,
      ...(state ? { since: state.since } : {}),
      ...(state?.reason ? { reason: state.reason } : {}),
      ...(state?.note ? { note: state.note } : {}),
      ...(version ? { version } : {}),
      faults: [...(tracked?.faults.values() ?? [])].sort((a, b) => a.device.localeCompare(b.device)),
      ...(tracked?.telemetry ? { telemetry: tracked.telemetry } : {}),
      today: this.#o.tally.today(kioskId),
    };
  }
}
