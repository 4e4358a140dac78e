/**
 * A one-card data centre's web middle tier (一卡通数据中心): one HTTP server on 127.0.0.1 holding the cardholder
 * accounts and the postings the gateway delivers, with the three-state posting enforced (POSTING_TRANSITIONS) and each
 * (txnId, status) applied once however often it comes. Its device-side handle fails the way a real one does: down
 * (connection refused), slow, answering 503, or applying a posting and losing the answer. The gateway's client
 * (gateway/onecard/http-one-card.ts) is written against this wire format (docs/onecard.md):
 *
 *   GET /v1/cards/{asn}               -> 200 account | 404 { error: 'card-unknown' }
 *   GET /v1/accounts/{campusAccount}  -> 200 account | 404 { error: 'account-unknown' }
 *   PUT /v1/postings/{txnId} { campusAccount, amount, status, source?, at }
 *        -> 200 posting as stored | 404 { error: 'account-unknown' } | 409 { error: 'transition-refused' | 'posting-conflict' }
 *           | 400 { error: 'bad-request' }
 */
import { EventEmitter } from 'node:events';
import type { FastifyInstance } from 'fastify';
import { creditSources } from '../../common/api/topics.ts';
import { LoopbackHttp } from '../loopback-http.ts';
import { POSTING_TRANSITIONS, wireStatuses, type CampusAccount, type OneCardPosting, type WireStatus } from '../../gateway/onecard/one-card-system.ts';

/** A posting as the centre holds it: its current status, and each status in the order it was applied. */
export interface CentrePosting extends OneCardPosting {
  applied: WireStatus[];
}

export interface OneCardCentreOptions {
  accounts: CampusAccount[];
  /** When set, every request must carry `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
}

/** What the next requests meet; each is cleared by the test that set it, or used up. */
interface Faults {
  slowMs: number;
  loseAnswers: number;
  fail: number;
}

export class OneCardCentre extends EventEmitter<{ applied: [posting: CentrePosting] }> {
  readonly #accounts: Map<string, CampusAccount>;
  readonly #byAsn: Map<string, CampusAccount>;
  readonly #postings = new Map<string, CentrePosting>();
  readonly #faults: Faults = { slowMs: 0, loseAnswers: 0, fail: 0 };
  readonly #http = new LoopbackHttp((app) => this.#routes(app));
  /** Posting requests received, answered or not (a 503 too): a retry counts again. */
  postingRequests = 0;

  constructor(private readonly o: OneCardCentreOptions) {
    super();
    this.#accounts = new Map(o.accounts.map((a) => [a.campusAccount, a]));
    this.#byAsn = new Map(o.accounts.map((a) => [a.asn.toUpperCase(), a]));
  }

  /** Listens on 127.0.0.1; `port` 0 picks a free one, which `up()` after `down()` takes again. */
  start(port = 0): Promise<void> {
    return this.#http.start(port);
  }

  stop(): Promise<void> {
    return this.#http.stop();
  }

  /** The base URL, as the gateway config's `oneCard.url` names it. */
  get url(): string {
    return `http://127.0.0.1:${this.#http.port}/`;
  }

  // ---- the device-side handle ------------------------------------------------------------------------------

  /** Connection refused from now on: the listener is closed. */
  down(): Promise<void> {
    return this.stop();
  }

  /** Listening again on the same port, with every account and posting it had. */
  up(): Promise<void> {
    return this.#http.restart();
  }

  /** Every answer comes `ms` late (a posting is applied at once, its answer waits). 0 ends it. */
  slow(ms: number): void {
    this.#faults.slowMs = ms;
  }

  /** The next `n` new posting statuses are applied, and their connection destroyed before the answer. */
  loseAnswers(n: number): void {
    this.#faults.loseAnswers = n;
  }

  /** The next `n` requests are answered 503 and change nothing. */
  fail(n: number): void {
    this.#faults.fail = n;
  }

  postings(): CentrePosting[] {
    return [...this.#postings.values()].map((p) => ({ ...p, applied: [...p.applied] }));
  }

  posting(txnId: string): CentrePosting | undefined {
    return this.postings().find((p) => p.txnId === txnId);
  }

  account(campusAccount: string): CampusAccount | undefined {
    return this.#accounts.get(campusAccount);
  }

  /** The one-card office opens an account (as when a posting for it was refused, and is then sent again). */
  openAccount(account: CampusAccount): void {
    this.#accounts.set(account.campusAccount, account);
    this.#byAsn.set(account.asn.toUpperCase(), account);
  }

  /** Resolves once `test` holds of the centre's postings: checked now and after each posting applied. */
  until(test: (postings: CentrePosting[]) => boolean): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!test(this.postings())) return;
        this.off('applied', check);
        resolve();
      };
      this.on('applied', check);
      check();
    });
  }

  // ---- HTTP ------------------------------------------------------------------------------------------------

  #routes(app: FastifyInstance): void {
    app.addHook('onRequest', async (req, reply) => {
      if (req.method === 'PUT') this.postingRequests++;
      if (this.o.token !== undefined && req.headers.authorization !== `Bearer ${this.o.token}`) return reply.code(401).send({ error: 'unauthorized' });
      if (this.#faults.fail > 0) {
        this.#faults.fail--;
        return reply.code(503).send({ error: 'unavailable' });
      }
      return undefined;
    });
    app.addHook('onSend', async () => {
      if (this.#faults.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#faults.slowMs));
    });
    app.get<{ Params: { asn: string } }>('/v1/cards/:asn', async (req, reply) => {
      return this.#byAsn.get(req.params.asn.toUpperCase()) ?? reply.code(404).send({ error: 'card-unknown' });
    });
    app.get<{ Params: { account: string } }>('/v1/accounts/:account', async (req, reply) => {
      return this.#accounts.get(req.params.account) ?? reply.code(404).send({ error: 'account-unknown' });
    });
    app.put<{ Params: { txnId: string }; Body: Partial<Record<keyof OneCardPosting, unknown>> }>('/v1/postings/:txnId', async (req, reply) => {
      const posting = postingOf(req.params.txnId, req.body);
      if (!posting) return reply.code(400).send({ error: 'bad-request' });
      if (!this.#accounts.has(posting.campusAccount)) return reply.code(404).send({ error: 'account-unknown' });
      const held = this.#postings.get(posting.txnId);
      if (held && (held.campusAccount !== posting.campusAccount || held.amount !== posting.amount)) {
        return reply.code(409).send({ error: 'posting-conflict' });
      }
      if (held?.applied.includes(posting.status)) return answer(held);
      const from = held?.status ?? 'new';
      if (!POSTING_TRANSITIONS[from].includes(posting.status)) return reply.code(409).send({ error: 'transition-refused', from, to: posting.status });
      const applied: CentrePosting = { ...posting, applied: [...(held?.applied ?? []), posting.status] };
      this.#postings.set(posting.txnId, applied);
      this.emit('applied', applied);
      if (this.#faults.loseAnswers > 0) {
        this.#faults.loseAnswers--;
        // Applied, and the answer never leaves: the client sees its connection reset.
        reply.hijack();
        req.raw.socket.destroy();
        return reply;
      }
      return answer(applied);
    });
  }
}

/** The posting as the wire carries it (without the centre's history). */
function answer({ applied: _, ...posting }: CentrePosting): OneCardPosting {
  return posting;
}

function postingOf(txnId: string, body: Partial<Record<keyof OneCardPosting, unknown>> | undefined): OneCardPosting | undefined {
  const { campusAccount, amount, status, source, at } = body ?? {};
  if (typeof campusAccount !== 'string' || !Number.isInteger(amount) || (amount as number) < 0 || typeof at !== 'string') return undefined;
  if (!wireStatuses.includes(status as WireStatus)) return undefined;
  if (source !== undefined && !creditSources.includes(source as never)) return undefined;
  return { txnId, campusAccount, amount: amount as number, status: status as WireStatus, ...(source !== undefined ? { source: source as OneCardPosting['source'] } : {}), at };
}
