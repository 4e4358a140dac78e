/**
 * A biller simulator (缴费对象): one HTTP server on 127.0.0.1 serving several billers (dorm electricity by room, campus
 * network by account), each with its accounts, a lookup and an idempotent payment keyed by the gateway's payment id.
 * Its device-side handle fails the way a real HTTP biller does: slow, refusing, down, or applying a payment and losing
 * the answer. The gateway's biller client (gateway/fees/biller-client.ts) is written against this wire format.
 *
 *   GET  /billers/{biller}/accounts/{account}  -> 200 { account, holder, room? } | 404 { error: 'account-unknown' }
 *   POST /billers/{biller}/payments { paymentId, account, amount }
 *        -> 200 { paymentId, status: 'paid', receiptNo, amount } | 422 { paymentId, status: 'refused', reason }
 *           | 404 { error: 'account-unknown' } | 409 { error: 'payment-conflict' } (same id, other account or amount)
 */
import type { FastifyInstance } from 'fastify';
import { LoopbackHttp } from '../loopback-http.ts';

export interface BillerAccount {
  account: string;
  /** Shown to the cardholder for confirmation: the holder's name, and for dorm power the room. */
  holder: string;
  room?: string;
}

export interface SimBiller {
  id: string;
  accounts: BillerAccount[];
}

export type PaymentAnswer =
  | { paymentId: string; status: 'paid'; receiptNo: string; amount: number }
  | { paymentId: string; status: 'refused'; reason: string };

interface Payment {
  billerId: string;
  account: string;
  amount: number;
  answer: PaymentAnswer;
}

/** What the next request meets; each is cleared by the test that set it. */
interface Faults {
  slowMs: number;
  refuseNext: string | undefined;
  loseNextAnswer: boolean;
}

export class BillerSimulator {
  readonly #billers: Map<string, Map<string, BillerAccount>>;
  /** By payment id: the idempotency record, kept for every payment applied or refused. */
  readonly #payments = new Map<string, Payment>();
  readonly #faults: Faults = { slowMs: 0, refuseNext: undefined, loseNextAnswer: false };
  readonly #http = new LoopbackHttp((app) => this.#routes(app));
  #receipts = 0;

  constructor(billers: SimBiller[]) {
    this.#billers = new Map(billers.map((b) => [b.id, new Map(b.accounts.map((a) => [a.account, a]))]));
  }

  /** Listens on 127.0.0.1; `port` 0 picks a free one, which `up()` after `down()` takes again. */
  start(port = 0): Promise<void> {
    return this.#http.start(port);
  }

  stop(): Promise<void> {
    return this.#http.stop();
  }

  /** The base URL of one biller, as the gateway config's `billers[].url` names it. */
  url(billerId: string): string {
    return `http://127.0.0.1:${this.#http.port}/billers/${billerId}`;
  }

  // ---- the device-side handle ------------------------------------------------------------------------------

  /** Every answer comes `ms` late (a payment is applied at once, its answer waits). 0 ends it. */
  slow(ms: number): void {
    this.#faults.slowMs = ms;
  }

  /** The next new payment is refused with this business reason (e.g. "account-closed"). */
  refuseNext(reason = 'account-closed'): void {
    this.#faults.refuseNext = reason;
  }

  /** The next new payment is applied, and its connection destroyed before the answer: a retry gets the original. */
  loseNextAnswer(): void {
    this.#faults.loseNextAnswer = true;
  }

  /** Connection refused from now on: the listener is closed. */
  down(): Promise<void> {
    return this.stop();
  }

  /** Listening again on the same port, with every payment it had. */
  up(): Promise<void> {
    return this.#http.restart();
  }

  /** What the biller received on an account: the sum of its paid payments, fen. */
  received(billerId: string, account: string): number {
    return [...this.#payments.values()]
      .filter((p) => p.billerId === billerId && p.account === account && p.answer.status === 'paid')
      .reduce((sum, p) => sum + p.amount, 0);
  }

  /** Every payment applied or refused, by payment id. */
  payments(): Array<{ paymentId: string; billerId: string; account: string; amount: number; status: PaymentAnswer['status'] }> {
    return [...this.#payments].map(([paymentId, p]) => ({ paymentId, billerId: p.billerId, account: p.account, amount: p.amount, status: p.answer.status }));
  }

  // ---- HTTP ------------------------------------------------------------------------------------------------

  #routes(app: FastifyInstance): void {
    app.addHook('onSend', async () => {
      if (this.#faults.slowMs > 0) await new Promise((resolve) => setTimeout(resolve, this.#faults.slowMs));
    });
    app.get<{ Params: { biller: string; account: string } }>('/billers/:biller/accounts/:account', async (req, reply) => {
      const found = this.#billers.get(req.params.biller)?.get(req.params.account);
      if (!found) return reply.code(404).send({ error: 'account-unknown' });
      return found;
    });
    app.post<{ Params: { biller: string }; Body: { paymentId?: unknown; account?: unknown; amount?: unknown } }>(
      '/billers/:biller/payments', async (req, reply) => {
        const { paymentId, account, amount } = req.body ?? {};
        if (typeof paymentId !== 'string' || typeof account !== 'string' || !Number.isInteger(amount) || (amount as number) <= 0) {
          return reply.code(400).send({ error: 'bad-request' });
        }
        const billerId = req.params.biller;
        const accounts = this.#billers.get(billerId);
        if (!accounts?.has(account)) return reply.code(404).send({ error: 'account-unknown' });
        let payment = this.#payments.get(paymentId);
        if (payment && (payment.billerId !== billerId || payment.account !== account || payment.amount !== amount)) {
          return reply.code(409).send({ error: 'payment-conflict' });
        }
        if (!payment) {
          payment = { billerId, account, amount: amount as number, answer: this.#decide(paymentId, amount as number) };
          this.#payments.set(paymentId, payment);
          if (this.#faults.loseNextAnswer) {
            this.#faults.loseNextAnswer = false;
            // Applied, and the answer never leaves: the client sees its connection reset.
            reply.hijack();
            req.raw.socket.destroy();
            return reply;
          }
        }
        return reply.code(payment.answer.status === 'paid' ? 200 : 422).send(payment.answer);
      });
  }

  #decide(paymentId: string, amount: number): PaymentAnswer {
    const reason = this.#faults.refuseNext;
    if (reason !== undefined) {
      this.#faults.refuseNext = undefined;
      return { paymentId, status: 'refused', reason };
    }
    return { paymentId, status: 'paid', receiptNo: `R${String(++this.#receipts).padStart(8, '0')}`, amount };
  }
}
