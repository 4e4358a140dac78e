/**
 * The one-card system through the campus's web middle tier: a small JSON API over HTTP (docs/onecard.md; the
 * simulator, sim/onecard/onecard-centre.ts, serves the same). A bearer token from a file, sent with every request and
 * never logged. 404 and 409 are definite answers; a timeout, a reset connection, a 5xx or a body not understood is no
 * answer at all: ONECARD_UNAVAILABLE, and a posting sent may or may not have been applied.
 */
import { readConfigFile } from '../../common/config-errors.ts';
import { accountFrom, oneCardCardUnknown, oneCardRefused, oneCardUnavailable as unanswered, wireStatuses, type CampusAccount, type OneCardPosting, type OneCardSystem } from './one-card-system.ts';

export interface HttpOneCardOptions {
  /** The middle tier's base URL. */
  url: string;
  /** The token file as the config names it, and the config file it is relative to. */
  tokenFile?: { configPath: string; file: string };
  timeoutMs: number;
}

type Body = Record<string, unknown>;

export class HttpOneCard implements OneCardSystem {
  readonly kind = 'http';
  readonly #base: URL;
  #authorization: Record<string, string> = {};

  constructor(private readonly o: HttpOneCardOptions) {
    this.#base = new URL(o.url.endsWith('/') ? o.url : `${o.url}/`);
  }

  /** Reads the token (CONFIG_INVALID when it cannot be read); the middle tier itself is not asked until needed. */
  async open(): Promise<void> {
    const { tokenFile } = this.o;
    if (!tokenFile) return;
    const token = readConfigFile(tokenFile.configPath, 'oneCard.tokenFile', tokenFile.file).toString('utf8').trim();
    this.#authorization = { authorization: `Bearer ${token}` };
  }

  async close(): Promise<void> {}

  async accountByAsn(asn: string): Promise<CampusAccount> {
    const { status, body } = await this.#call('GET', `v1/cards/${encodeURIComponent(asn)}`);
    if (status === 404) throw oneCardCardUnknown(asn);
    return accountOf(status, body);
  }

  async account(campusAccount: string): Promise<CampusAccount | undefined> {
    const { status, body } = await this.#call('GET', `v1/accounts/${encodeURIComponent(campusAccount)}`);
    return status === 404 ? undefined : accountOf(status, body);
  }

  async post(posting: OneCardPosting): Promise<OneCardPosting> {
    const { txnId, ...fields } = posting;
    const { status, body } = await this.#call('PUT', `v1/postings/${encodeURIComponent(txnId)}`, fields);
    if (status === 404 || status === 409 || status === 400) {
      throw oneCardRefused(posting, typeof body?.error === 'string' ? body.error : `HTTP ${status}`);
    }
    if (status !== 200 || body?.txnId !== txnId || !wireStatuses.includes(body.status as never)) throw unanswered(`an answer to ${txnId} not understood (HTTP ${status})`);
    return body as unknown as OneCardPosting;
  }

  /** One request; every way of not getting a definite answer is ONECARD_UNAVAILABLE. */
  async #call(method: 'GET' | 'PUT', path: string, json?: Body): Promise<{ status: number; body: Body | undefined }> {
    let res: Response;
    try {
      res = await fetch(new URL(path, this.#base), {
        method,
        headers: { ...this.#authorization, ...(json ? { 'content-type': 'application/json' } : {}) },
        ...(json ? { body: JSON.stringify(json) } : {}),
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (err) {
      const cause = ((err as Error).cause as NodeJS.ErrnoException | undefined)?.code ?? (err as Error).name;
      throw unanswered(`no answer from ${this.#base.origin} (${cause})`, err);
    }
    if (res.status >= 500 || res.status === 401 || res.status === 403) {
      await res.body?.cancel();
      throw unanswered(`${this.#base.origin} answered HTTP ${res.status}${res.status < 500 ? ' (check oneCard.tokenFile)' : ''}`);
    }
    const text = await res.text().catch(() => undefined);
    try {
      const body: unknown = text ? JSON.parse(text) : undefined;
      return { status: res.status, body: typeof body === 'object' && body !== null ? (body as Body) : undefined };
    } catch {
      return { status: res.status, body: undefined };
    }
  }
}

/** The account in an answer, or ONECARD_UNAVAILABLE for an answer that is not one. */
function accountOf(status: number, body: Body | undefined): CampusAccount {
  const account = status === 200 && body ? accountFrom(body) : undefined;
  if (!account) throw unanswered(`an account answer not understood (HTTP ${status})`);
  return account;
}
