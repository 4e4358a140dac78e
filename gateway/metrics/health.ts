/**
 * Whether the gateway makes progress on its own side (the console serves it at /health): its journal takes a synced
 * write, it is connected to the broker, and its reversal queue keeps trying what it owes. A bank that is down makes the
 * gateway degraded, never failing by itself: the gateway still serves kiosks (they hear BANK_UNAVAILABLE) and keeps
 * what it owes, and restarting it would not bring the bank back.
 */
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { BankConnection } from '../banks.ts';
import type { GatewayEndpoint } from '../link/gateway-endpoint.ts';
import type { ReversalQueue } from '../saf/reversal-queue.ts';
import type { PostingRelay } from '../onecard/posting-relay.ts';
import type { WaitingGateway } from '../store/pg-store.ts';

export type HealthStatus = 'ok' | 'degraded' | 'failing';

export interface HealthCheck {
  /** status is ok. */
  ok: boolean;
  status: HealthStatus;
  /** What is wrong, or what was seen when nothing is. */
  detail: string;
}

export interface Health {
  status: HealthStatus;
  at: string;
  /**
   * journal, broker, reversals, `bank:<id>` for each bank, `onecard` with an external one-card system, and `standby`
   * on a PostgreSQL store configured with one.
   */
  checks: Record<string, HealthCheck>;
  /** The details of every check that is not ok, worst first. */
  reasons: string[];
}

export interface HealthOptions {
  store: DurableStore;
  endpoint: GatewayEndpoint;
  reversals: ReversalQueue;
  banks: ReadonlyMap<string, BankConnection>;
  /** The delivery of postings to an external one-card system; none with the built-in one. */
  oneCard?: PostingRelay;
  /** The gateways waiting to take the store over, on a store configured with a standby (PostgreSQL); none elsewhere. */
  standbys?: (() => Promise<WaitingGateway[]>) | undefined;
  /** Failed tries after which a reversal is for an operator (the queue's `attentionAfter`). */
  attentionAfter: number;
  /** A synced write slower than this makes the journal degraded; one that does not end within `journalFailMs` failing. */
  journalSlowMs?: number;
  journalFailMs?: number;
  /**
   * How much later than announced a reversal's next try may come before the queue counts as stuck: one try may take a
   * bank's connect and answer timeouts (35 s with the shipped profiles).
   */
  stuckAfterMs?: number;
  now?: () => number;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 };

export class GatewayHealth {
  readonly #o: Required<Omit<HealthOptions, 'now' | 'oneCard' | 'standbys'>> & Pick<HealthOptions, 'oneCard' | 'standbys'> & { now: () => number };
  /** For each reversal owed, when its next try must have ended at the latest. */
  readonly #due = new Map<string, { by: number; attempts: number }>();

  constructor(o: HealthOptions) {
    this.#o = { journalSlowMs: 1_000, journalFailMs: 5_000, stuckAfterMs: 120_000, now: Date.now, ...o };
    o.reversals.on('failed', (txnId, attempts, delayMs) => this.#due.set(txnId, { by: this.#o.now() + delayMs + this.#o.stuckAfterMs, attempts }));
    o.reversals.on('confirmed', (txnId) => this.#due.delete(txnId));
  }

  /** `asked.standbys`: the database's answer a caller already asked for and shows beside the checks (one answer in both). */
  async check(asked: { standbys?: Promise<WaitingGateway[]> } = {}): Promise<Health> {
    const checks: Health['checks'] = { journal: await this.#journal(), broker: this.#broker(), reversals: this.#reversals() };
    for (const bank of this.#o.banks.values()) checks[`bank:${bank.id}`] = this.#bank(bank);
    if (this.#o.oneCard) checks.onecard = this.#oneCard(this.#o.oneCard);
    if (this.#o.standbys) checks.standby = await this.#standby(asked.standbys ?? this.#o.standbys());
    const all = Object.values(checks);
    const status = all.reduce<HealthStatus>((worst, c) => (RANK[c.status] > RANK[worst] ? c.status : worst), 'ok');
    const reasons = all.filter((c) => c.status !== 'ok').sort((a, b) => RANK[b.status] - RANK[a.status]).map((c) => c.detail);
    return { status, at: new Date(this.#o.now()).toISOString(), checks, reasons };
  }

  async #journal(): Promise<HealthCheck> {
    const start = performance.now();
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<'late'>((resolve) => (timer = setTimeout(() => resolve('late'), this.#o.journalFailMs)));
    try {
      const outcome = await Promise.race([this.#o.store.touch().then(() => 'written' as const), late]);
      if (outcome === 'late') return { ok: false, status: 'failing', detail: `the journal took no synced write within ${this.#o.journalFailMs} ms` };
    } catch (err) {
      return { ok: false, status: 'failing', detail: `the journal refuses writes: ${(err as Error).message}` };
    } finally {
      clearTimeout(timer);
    }
    const ms = Math.round(performance.now() - start);
    if (ms > this.#o.journalSlowMs) return { ok: false, status: 'degraded', detail: `a synced journal write took ${ms} ms` };
    return { ok: true, status: 'ok', detail: `a synced journal write took ${ms} ms` };
  }

  #broker(): HealthCheck {
    return this.#o.endpoint.connected
      ? { ok: true, status: 'ok', detail: 'connected to the broker' }
      : { ok: false, status: 'failing', detail: 'not connected to the broker: no kiosk is served' };
  }

  #reversals(): HealthCheck {
    const owed = this.#o.reversals.pending;
    for (const txnId of this.#due.keys()) if (!owed.includes(txnId)) this.#due.delete(txnId);
    if (owed.length === 0) return { ok: true, status: 'ok', detail: 'no reversal owed' };
    const now = this.#o.now();
    const stuck = owed.filter((id) => (this.#due.get(id)?.by ?? Infinity) < now);
    if (stuck.length > 0) return { ok: false, status: 'failing', detail: `the reversal queue is stuck: ${stuck.length} owed reversal(s) not tried again when due` };
    const attention = owed.filter((id) => (this.#due.get(id)?.attempts ?? 0) >= this.#o.attentionAfter);
    if (attention.length > 0) {
      return { ok: false, status: 'degraded', detail: `${attention.length} of ${owed.length} owed reversal(s) unconfirmed after ${this.#o.attentionAfter} or more tries; the queue keeps trying` };
    }
    return { ok: true, status: 'ok', detail: `${owed.length} reversal(s) owed, being tried` };
  }

  /** Like a bank, a one-card system that does not answer degrades the gateway: what it is owed waits in the store. */
  #oneCard(relay: PostingRelay): HealthCheck {
    const { waiting, refused, unanswered, attentionAfter } = relay.state;
    if (refused > 0) {
      return { ok: false, status: 'degraded', detail: `${refused} posting(s) refused by the one-card system (ONECARD_REFUSED, in the log): for an operator` };
    }
    if (unanswered >= attentionAfter) {
      return { ok: false, status: 'degraded', detail: `the one-card system has not answered ${unanswered} tries in a row: ${waiting} posting(s) wait to be delivered` };
    }
    return { ok: true, status: 'ok', detail: `${waiting} posting(s) waiting for the one-card system` };
  }

  /** Without a standby waiting the gateway still serves: degraded, as its failover is gone until one waits again. */
  async #standby(standbys: Promise<WaitingGateway[]>): Promise<HealthCheck> {
    let waiting: WaitingGateway[];
    try {
      waiting = await standbys;
    } catch (err) {
      return { ok: false, status: 'degraded', detail: `could not ask the database which gateways wait to take over: ${(err as Error).message}` };
    }
    if (waiting.length === 0) return { ok: false, status: 'degraded', detail: 'no standby gateway waits for the store: if this one stops, no one takes over' };
    const who = waiting.map((w) => `${w.session} (from ${w.from}, since ${w.since})`).join(', ');
    return { ok: true, status: 'ok', detail: `standby waiting to take over: ${who}` };
  }

  #bank(bank: BankConnection): HealthCheck {
    if (bank.link.signedOn) return { ok: true, status: 'ok', detail: `signed on with ${bank.id}` };
    return { ok: false, status: 'degraded', detail: `not signed on with ${bank.id}: its loads fail with BANK_NOT_SIGNED_ON until it is (it signs on again by itself)` };
  }
}
