/**
 * A program's way into the console's API (the CLI's `quancun reconcile` against a running gateway, tests): signs in
 * as a console user, keeps the session and CSRF cookies, and sends the CSRF token with every action, exactly as the
 * page does, so the server's role checks and audit apply to it the same way. For an https:// console signed by the
 * campus CA, start node with NODE_EXTRA_CA_CERTS naming the CA.
 */
import { QuancunError, type ErrorCode } from '../../common/errors.ts';

/** The URL a console listening on `host` and `port` is reached at (an IPv6 address in brackets). */
export function consoleUrl(host: string, port: number, tls: boolean): string {
  return `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${port}`;
}

export class ConsoleClient {
  readonly #cookies = new Map<string, string>();
  #csrf = '';

  private constructor(readonly url: string) {}

  static async signIn(url: string, user: string, password: string): Promise<ConsoleClient> {
    const client = new ConsoleClient(url.replace(/\/$/, ''));
    await client.#call('POST', 'sign-in', { user, password });
    client.#csrf = (await client.get<{ csrf: string }>('session')).csrf;
    return client;
  }

  get<T = unknown>(path: string): Promise<T> {
    return this.#call('GET', path) as Promise<T>;
  }

  post<T = unknown>(path: string, body: Record<string, unknown> = {}): Promise<T> {
    return this.#call('POST', path, body) as Promise<T>;
  }

  /** A download's body as text. */
  async text(path: string): Promise<string> {
    return (await this.#fetch('GET', path)).text();
  }

  async #fetch(method: string, path: string, body?: unknown): Promise<Response> {
    const headers: Record<string, string> = { accept: 'application/json', cookie: [...this.#cookies].map(([k, v]) => `${k}=${v}`).join('; ') };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (method !== 'GET') headers['x-csrf-token'] = this.#csrf;
    let res: Response;
    try {
      res = await fetch(`${this.url}/api/${path}`, { method, headers, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    } catch (err) {
      throw new QuancunError('CONSOLE_UNREACHABLE', `the console at ${this.url} cannot be reached: ${((err as Error).cause as Error | undefined)?.message ?? (err as Error).message}`);
    }
    for (const cookie of res.headers.getSetCookie()) {
      const [pair = ''] = cookie.split(';');
      const at = pair.indexOf('=');
      if (at > 0) this.#cookies.set(pair.slice(0, at), pair.slice(at + 1));
    }
    if (!res.ok) {
      const answer = (await res.json().catch(() => ({}))) as { error?: { code?: ErrorCode; message?: string } };
      throw new QuancunError(answer.error?.code ?? 'INTERNAL', answer.error?.message ?? `${method} ${path}: HTTP ${res.status}`, { status: res.status });
    }
    return res;
  }

  async #call(method: string, path: string, body?: unknown): Promise<unknown> {
    return (await this.#fetch(method, path, body)).json();
  }
}
