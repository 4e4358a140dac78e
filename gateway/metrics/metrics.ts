/**
 * The gateway's metrics in the Prometheus text format, for the campus's existing monitoring (the console serves them
 * at /metrics). One registry per gateway, not prom-client's global one: a process may run more than one (tests, the
 * embedded system). Counters count from the gateway's start, as Prometheus counters do; the gauges are read at scrape.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { isFinal, type JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { BankConnection } from '../banks.ts';
import type { GatewayEndpoint } from '../link/gateway-endpoint.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../loads/gateway-load-machine.ts';
import type { LoadTally } from '../loads/load-tally.ts';
import type { ReversalQueue } from '../saf/reversal-queue.ts';
import type { PostingRelay } from '../onecard/posting-relay.ts';
import type { WaitingGateway } from '../store/pg-store.ts';

export interface MetricsSources {
  loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>;
  banks: ReadonlyMap<string, BankConnection>;
  reversals: ReversalQueue;
  endpoint: GatewayEndpoint;
  tally: LoadTally;
  /** The delivery of postings to an external one-card system; none with the built-in one. */
  oneCard?: PostingRelay | undefined;
  /** The gateways waiting to take the store over, on a store configured with a standby (PostgreSQL). */
  standbys?: (() => Promise<WaitingGateway[]>) | undefined;
}

/** Bank answer times run from tens of milliseconds to the profiles' 20–30 s timeouts. */
const ANSWER_BUCKETS = [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30];

export class GatewayMetrics {
  readonly #registry = new Registry();

  constructor(s: MetricsSources) {
    const registers = [this.#registry];
    collectDefaultMetrics({ register: this.#registry });
    const loads = new Counter({
      name: 'quancun_loads_total', help: 'Loads that reached a final state at the gateway since it started, by that state',
      labelNames: ['outcome'], registers,
    });
    s.loads.on('changed', (record) => {
      // A final state is written once per load: the journal refuses any move out of it.
      if (isFinal(s.loads.spec, record.state)) loads.inc({ outcome: record.state });
    });
    const answers = new Histogram({
      name: 'quancun_bank_answer_seconds', help: 'Time from sending a message to a bank to its answer, by bank and operation',
      labelNames: ['bank', 'op'], buckets: ANSWER_BUCKETS, registers,
    });
    const unanswered = new Counter({
      name: 'quancun_bank_unanswered_total', help: 'Messages to a bank that got no answer in time or lost their connection, by bank and operation',
      labelNames: ['bank', 'op'], registers,
    });
    for (const bank of s.banks.values()) {
      bank.link.on('answer', ({ op, ms }: { op: string; ms: number }) => answers.observe({ bank: bank.id, op }, ms / 1000));
      bank.link.on('no-answer', ({ op }: { op: string }) => unanswered.inc({ bank: bank.id, op }));
    }
    new Gauge({
      name: 'quancun_saf_depth', help: 'Reversals owed and not yet confirmed by the bank (the store-and-forward queue)', registers,
      collect() {
        this.set(s.reversals.pending.length);
      },
    });
    new Gauge({
      name: 'quancun_kiosks_online', help: 'Kiosks whose retained state on the broker says online', registers,
      collect() {
        this.set([...s.endpoint.kioskStates.values()].filter((k) => k.online).length);
      },
    });
    new Gauge({
      name: 'quancun_pending_loads', help: 'Pending loads (圈存未领): debited at the bank, waiting to be written onto their card', registers,
      collect() {
        this.set(s.tally.pending().count);
      },
    });
    new Gauge({
      name: 'quancun_pending_loads_fen', help: 'The amount of the pending loads, fen', registers,
      collect() {
        this.set(s.tally.pending().amount);
      },
    });
    new Gauge({
      name: 'quancun_bank_signed_on', help: 'Whether the gateway is signed on with the bank (1) or not (0)', labelNames: ['bank'], registers,
      collect() {
        for (const bank of s.banks.values()) this.set({ bank: bank.id }, bank.link.signedOn ? 1 : 0);
      },
    });
    const { standbys } = s;
    if (standbys) {
      new Gauge({
        name: 'quancun_standby_gateways', help: 'Gateways waiting to take the store over if this one stops or dies (0: no failover)', registers,
        async collect() {
          // A database that does not answer fails no scrape: the value is unknown (NaN), and /health says why.
          this.set(await standbys().then((w) => w.length, () => Number.NaN));
        },
      });
    }
    const relay = s.oneCard;
    if (relay) {
      new Gauge({
        name: 'quancun_onecard_postings', help: 'Postings owed to the one-card system (waiting to be delivered) and refused by it (kept for an operator)',
        labelNames: ['state'], registers,
        collect() {
          const { waiting, refused } = relay.state;
          this.set({ state: 'waiting' }, waiting);
          this.set({ state: 'refused' }, refused);
        },
      });
    }
  }

  /** The Content-Type of `text()`. */
  get contentType(): string {
    return this.#registry.contentType;
  }

  /** Every metric in the Prometheus text format (0.0.4). */
  text(): Promise<string> {
    return this.#registry.metrics();
  }
}
