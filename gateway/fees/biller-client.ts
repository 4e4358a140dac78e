/**
 * The gateway's HTTP client of one biller (the wire format is sim/biller/biller-host.ts's). Every failure is a typed
 * QuancunError, and a payment's tells the caller whether the biller certainly did not take it:
 * - BILLER_REFUSED, BILLER_ACCOUNT_UNKNOWN: a definite answer, nothing paid;
 * - BILLER_UNAVAILABLE with `details.sent` false: the connection was refused, the request never reached the biller;
 * - BILLER_UNAVAILABLE with `details.sent` true: it may have been applied — only the same payment id again can tell.
 */
import { QuancunError } from '../../common/errors.ts';
import type { BillerConfig } from '../../common/config.ts';

export interface BillerHolder {
  account: string;
  holder: string;
  room?: string;
}

export interface BillerPayment {
  /** The gateway's payment id: the biller pays one id once, however often it comes. */
  paymentId: string;
  account: string;
  amount: number;
}

const NOT_SENT = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH']);

/**
 * How the biller answered lately, for the console: kept in memory since the gateway started. A definite answer
 * (paid, refused, no such account) is an answer; only BILLER_UNAVAILABLE (no answer, refused connection, a body not
 * understood) is a failure.
 */
export interface BillerHealth {
  lastCall: { at: string; op: 'lookup' | 'pay'; ms: number; answered: boolean; code?: string } | null;
  /** The last call the biller answered. */
  lastAnsweredAt: string | null;
  /** Calls in a row without an answer, up to the last one. */
  failuresInARow: number;
  /** Calls without an answer since the gateway started. */
  failures: number;
  calls: number;
}

export class BillerClient {
  readonly #health: BillerHealth = { lastCall: null, lastAnsweredAt: null, failuresInARow: 0, failures: 0, calls: 0 };

  constructor(readonly config: BillerConfig, private readonly baseUrl: string = config.url) {}

  get health(): BillerHealth {
    return { ...this.#health };
  }

  lookup(account: string): Promise<BillerHolder> {
    return this.#tracked('lookup', () => this.#lookup(account));
  }

  /** The biller's receipt number once it paid; throws as the header says. */
  pay(p: BillerPayment): Promise<{ receiptNo: string }> {
    return this.#tracked('pay', () => this.#pay(p));
  }

  async #tracked<T>(op: 'lookup' | 'pay', call: () => Promise<T>): Promise<T> {
    const started = Date.now();
    const h = this.#health;
    const end = (code?: string) => {
      const answered = code !== 'BILLER_UNAVAILABLE';
      const at = new Date().toISOString();
      h.calls++;
      h.lastCall = { at, op, ms: Date.now() - started, answered, ...(code ? { code } : {}) };
      if (answered) {
        h.lastAnsweredAt = at;
        h.failuresInARow = 0;
      } else {
        h.failures++;
        h.failuresInARow++;
      }
    };
    try {
      const result = await call();
      end();
      return result;
    } catch (err) {
      end(err instanceof QuancunError ? err.code : 'BILLER_UNAVAILABLE');
      throw err;
    }
  }

  async #lookup(account: string): Promise<BillerHolder> {
    const res = await this.#call(`/accounts/${encodeURIComponent(account)}`, { method: 'GET' });
    if (res.status === 404) throw new QuancunError('BILLER_ACCOUNT_UNKNOWN', `${this.config.id} has no account ${account}`, { billerId: this.config.id });
    const body = await this.#json(res, 200);
    if (typeof body.holder !== 'string' || (body.room !== undefined && typeof body.room !== 'string')) throw this.#malformed(res.status);
    return { account, holder: body.holder, ...(typeof body.room === 'string' ? { room: body.room } : {}) };
  }

  async #pay(p: BillerPayment): Promise<{ receiptNo: string }> {
    const res = await this.#call('/payments', {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(p),
    });
    const details = { billerId: this.config.id, paymentId: p.paymentId };
    if (res.status === 404) throw new QuancunError('BILLER_ACCOUNT_UNKNOWN', `${this.config.id} has no account ${p.account}`, details);
    if (res.status === 422) {
      const body = await this.#json(res, 422);
      throw new QuancunError('BILLER_REFUSED', `${this.config.id} refused: ${String(body.reason)}`, { ...details, reason: String(body.reason) });
    }
    const body = await this.#json(res, 200);
    if (body.status !== 'paid' || body.paymentId !== p.paymentId || typeof body.receiptNo !== 'string') throw this.#malformed(res.status, true);
    return { receiptNo: body.receiptNo };
  }

  async #call(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.baseUrl}${path}`, { ...init, signal: AbortSignal.timeout(this.config.timeoutMs) });
    } catch (err) {
      const code = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code;
      const sent = !(code && NOT_SENT.has(code));
      throw new QuancunError('BILLER_UNAVAILABLE', `${this.config.id}: ${sent ? 'no answer' : 'connection refused'} (${code ?? (err as Error).name})`,
        { billerId: this.config.id, sent }, { cause: err });
    }
  }

  /** A body that is not the JSON object expected: after a payment was sent, its outcome is unknown. */
  async #json(res: Response, expected: number): Promise<Record<string, unknown>> {
    if (res.status !== expected) throw this.#malformed(res.status, true);
    const body: unknown = await res.json().catch(() => undefined);
    if (body === null || typeof body !== 'object') throw this.#malformed(res.status, true);
    return body as Record<string, unknown>;
  }

  #malformed(status: number, sent = true): QuancunError {
    return new QuancunError('BILLER_UNAVAILABLE', `${this.config.id} answered HTTP ${status} with an unexpected body`, { billerId: this.config.id, sent, status });
  }
}
