/**
 * The operator console (监控、操作、调试): a fastify server in the gateway process serving the page shell and each
 * section's JSON API (docs/console.md). Every API route is checked here, on the server, whatever the page shows:
 * a session (HttpOnly, SameSite=Strict cookie), the route's least role, and for every action a CSRF token bound to
 * the session; every action, sign-in and refusal is audited. Loopback by default; a LAN address only with TLS
 * (common/config.ts refuses anything else).
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import fastify, { type FastifyReply, type FastifyRequest, type onRequestHookHandler } from 'fastify';
import fastifyCookie from '@fastify/cookie';
import fastifyCsrf from '@fastify/csrf-protection';
import { z } from 'zod';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { Gateway } from '../gateway.ts';
import type { Health } from '../metrics/health.ts';
import { AuditLog } from './audit-log.ts';
import { consoleUrl } from './console-client.ts';
import { ConsoleUsers, type LockoutPolicy } from './auth/console-users.ts';
import { hasRole, type ConsoleUser, type Role } from './auth/roles.ts';
import { Sessions, type Session } from './auth/sessions.ts';
import type { ConsoleRoutes, Download, ReadRequest } from './section.ts';
import { SECTIONS } from './sections.ts';

export interface ConsoleOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** PEM certificate (chain) and key: HTTPS. */
  tls?: { cert: string; key: string };
  users: ConsoleUsers;
  idleMinutes: number;
  lockout: LockoutPolicy;
  /** `/metrics`: the Prometheus text and its content type. */
  metrics?: { text(): Promise<string>; readonly contentType: string };
  /** `/health`: whether the gateway makes progress on its own (its journal, its broker link), not the banks alone. */
  health: () => Promise<Health>;
}

export interface ConsoleServer {
  url: string;
  users: ConsoleUsers;
  sessions: Sessions;
  audit: AuditLog;
  push(event: string, data: unknown): void;
  close(): Promise<void>;
}

declare module 'fastify' {
  interface FastifyRequest {
    consoleSession?: Session;
    consoleUser?: ConsoleUser;
  }
}

const SESSION_COOKIE = 'qc_session';
const WEB = fileURLToPath(new URL('./web/', import.meta.url));
const UPLOT = fileURLToPath(new URL('../../node_modules/uplot/dist/', import.meta.url));
const STATIC: Record<string, { dir: string; type: string }> = {
  js: { dir: WEB, type: 'text/javascript; charset=utf-8' },
  css: { dir: WEB, type: 'text/css; charset=utf-8' },
};
const VENDOR: Record<string, string> = { 'uplot.js': 'uPlot.iife.min.js', 'uplot.css': 'uPlot.min.css' };
const HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/** The HTTP status of an error code: the contract in docs/console.md. */
export function statusOf(code: ErrorCode | string): number {
  if (code === 'CONSOLE_SIGNED_OUT' || code === 'CONSOLE_SIGN_IN_FAILED') return 401;
  if (code === 'CONSOLE_FORBIDDEN' || code === 'CONSOLE_CSRF') return 403;
  if (code === 'CONSOLE_LOCKED') return 429;
  if (/_(NOT_FOUND|UNKNOWN)$/.test(code)) return 404;
  if (/_(STATE|CONFLICT|EXISTS)$/.test(code)) return 409;
  if (code === 'INTERNAL') return 500;
  return 400;
}

const signInSchema = z.object({ user: z.string().min(1).max(64), password: z.string().min(1).max(256) });
const stringRecord = (v: unknown): Record<string, string> => (typeof v === 'object' && v !== null ? v as Record<string, string> : {});

export async function startConsole(gateway: Gateway, store: DurableStore, o: ConsoleOptions, log: Logger): Promise<ConsoleServer> {
  const { users } = o;
  const sessions = new Sessions(store, o.idleMinutes);
  const audit = new AuditLog(store);
  let hmacKey = await store.get<string>('console/csrf-hmac-key');
  if (!hmacKey) {
    hmacKey = randomBytes(32).toString('base64');
    await store.put('console/csrf-hmac-key', hmacKey);
  }
  const secure = Boolean(o.tls);
  const app = fastify({
    ...(o.tls ? { https: { cert: o.tls.cert, key: o.tls.key } } : {}),
    bodyLimit: 64 * 1024,
    logger: false,
  });
  await app.register(fastifyCookie);
  await app.register(fastifyCsrf, {
    sessionPlugin: '@fastify/cookie',
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'strict', secure },
    getUserInfo: (req) => req.consoleSession!.id,
    getToken: (req) => req.headers['x-csrf-token'] as string | undefined,
    csrfOpts: { hmacKey, userInfo: true },
  });

  app.addHook('onSend', async (_req, reply) => {
    reply.headers(HEADERS);
  });
  app.setErrorHandler((err: Error & { code?: string; statusCode?: number }, req, reply) => {
    let e: QuancunError;
    if (err instanceof QuancunError) e = err;
    else if (err.code?.startsWith('FST_CSRF')) e = new QuancunError('CONSOLE_CSRF', 'CSRF token missing or wrong: reload the page');
    else if (err.statusCode && err.statusCode < 500) e = new QuancunError('CONSOLE_BAD_REQUEST', err.message);
    else {
      log.error('console request failed', { url: req.url, error: err });
      e = new QuancunError('INTERNAL', 'internal error: see the gateway log');
    }
    void reply.code(statusOf(e.code)).send({ error: { code: e.code, message: e.message } });
  });

  /** Loads the session and its user (role as in the users file now); refuses the request without one. */
  const authenticate: onRequestHookHandler = async (req) => {
    const session = await sessions.find(req.cookies[SESSION_COOKIE]);
    const user = session && (await users.current(session.user));
    if (!session || !user) throw new QuancunError('CONSOLE_SIGNED_OUT', 'sign in first (no session, or it expired)');
    req.consoleSession = session;
    req.consoleUser = user;
  };

  /** The request as a section's handler gets it, once the signed-in user's role is at least `role`. */
  const requestOf = (req: FastifyRequest, role: Role): ReadRequest => {
    const user = req.consoleUser!;
    if (!hasRole(user.role, role)) throw new QuancunError('CONSOLE_FORBIDDEN', `${req.routeOptions.url} needs the ${role} role; ${user.name} is ${user.role}`);
    return { params: stringRecord(req.params), query: stringRecord(req.query), user };
  };

  // Live events: one stream per open page.
  const streams = new Set<{ reply: FastifyReply; session: string }>();
  const push = (event: string, data: unknown): void => {
    const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
    for (const s of streams) s.reply.raw.write(frame);
  };
  audit.on('entry', (entry) => push('audit.entry', entry));
  const endStreams = (session: string) => {
    for (const s of streams) {
      if (s.session !== session) continue;
      s.reply.raw.end();
      streams.delete(s);
    }
  };
  // A stream lives as long as its session: one signed out elsewhere, expired or of a removed user ends here.
  const heartbeat = setInterval(() => {
    for (const s of streams) {
      void sessions.alive(s.session).then((alive) => (alive ? s.reply.raw.write(': alive\n\n') : endStreams(s.session)), () => {});
    }
  }, 25_000);
  heartbeat.unref();

  const routes: ConsoleRoutes = {
    read(path, role, handler) {
      app.get(`/api/${path}`, { onRequest: authenticate }, async (req) => handler(requestOf(req, role)));
    },
    act(path, role, action, handler) {
      app.post(`/api/${path}`, { onRequest: [authenticate, app.csrfProtection] }, async (req) => {
        const body = stringRecord(req.body) as Record<string, unknown>;
        const { name, role: held } = req.consoleUser!;
        const entry = { user: name, role: held, action, target: stringRecord(req.params), details: body };
        let request: ReadRequest;
        try {
          request = requestOf(req, role);
        } catch (err) {
          await audit.append({ ...entry, result: 'refused', code: QuancunError.from(err).code });
          throw err;
        }
        try {
          const result = await handler({ ...request, body });
          await audit.append({ ...entry, result: 'ok' });
          return result ?? { ok: true };
        } catch (err) {
          await audit.append({ ...entry, result: 'failed', code: QuancunError.from(err).code });
          throw err;
        }
      });
    },
    download(path, role, handler) {
      app.get(`/api/${path}`, { onRequest: authenticate }, async (req, reply) => {
        const file: Download = await handler(requestOf(req, role));
        return reply.type(file.type).header('content-disposition', `attachment; filename="${file.filename.replace(/[^\w.-]/g, '_')}"`).send(file.body);
      });
    },
    push,
  };

  app.post('/api/sign-in', async (req, reply) => {
    const parsed = signInSchema.safeParse(req.body);
    if (!parsed.success) throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {user, password}');
    const { user: name } = parsed.data;
    let user: ConsoleUser;
    try {
      user = await users.signIn(name, parsed.data.password, o.lockout);
    } catch (err) {
      const code = QuancunError.from(err).code;
      await audit.append({ user: name, role: '-', action: 'console.sign-in', target: {}, details: { from: req.ip }, result: 'refused', code });
      throw err;
    }
    const { token } = await sessions.open(user);
    await audit.append({ user: user.name, role: user.role, action: 'console.sign-in', target: {}, details: { from: req.ip }, result: 'ok' });
    void reply.setCookie(SESSION_COOKIE, token, { path: '/', httpOnly: true, sameSite: 'strict', secure });
    return { user: user.name, role: user.role };
  });

  app.post('/api/sign-out', { onRequest: [authenticate, app.csrfProtection] }, async (req, reply) => {
    await sessions.close(req.consoleSession!);
    endStreams(req.consoleSession!.id);
    await audit.append({ user: req.consoleUser!.name, role: req.consoleUser!.role, action: 'console.sign-out', target: {}, details: {}, result: 'ok' });
    void reply.clearCookie(SESSION_COOKIE, { path: '/' });
    return { ok: true };
  });

  app.get('/api/session', { onRequest: authenticate }, async (req, reply) => ({
    user: req.consoleUser!.name,
    role: req.consoleUser!.role,
    csrf: reply.generateCsrf({ userInfo: req.consoleSession!.id }),
    sections: SECTIONS.filter((s) => hasRole(req.consoleUser!.role, s.role ?? 'viewer')).map((s) => ({ id: s.id, title: s.title })),
  }));

  app.get('/api/live', { onRequest: authenticate }, (req, reply) => {
    reply.raw.writeHead(200, { ...HEADERS, 'content-type': 'text/event-stream', connection: 'keep-alive' });
    reply.raw.write(': connected\n\n');
    const stream = { reply, session: req.consoleSession!.id };
    streams.add(stream);
    req.raw.on('close', () => streams.delete(stream));
    return reply.hijack();
  });

  for (const section of SECTIONS) section.routes(routes, gateway);

  app.get('/health', async (_req, reply) => {
    const report = await o.health();
    return reply.code(report.status === 'failing' ? 503 : 200).send(report);
  });
  app.get('/metrics', async (_req, reply) => {
    if (!o.metrics) throw new QuancunError('SERVICE_UNAVAILABLE', 'no metrics in this gateway');
    return reply.type(o.metrics.contentType).send(await o.metrics.text());
  });

  const page = async (_req: FastifyRequest, reply: FastifyReply) => reply.type('text/html; charset=utf-8').send(await readFile(`${WEB}index.html`));
  app.get('/', page);
  app.get('/favicon.ico', async (_req, reply) => reply.code(204).send());
  app.get('/static/vendor/:file', async (req, reply) => {
    const file = VENDOR[(req.params as { file: string }).file];
    if (!file) return reply.code(404).send();
    return reply.type(file.endsWith('.css') ? STATIC.css!.type : STATIC.js!.type).send(await readFile(UPLOT + file));
  });
  app.get('/static/*', async (req, reply) => {
    const path = (req.params as { '*': string })['*'];
    const m = /^((?:sections\/)?[a-z0-9-]+)\.(js|css)$/.exec(path);
    const kind = m && STATIC[m[2]!];
    if (!kind) return reply.code(404).send();
    const body = await readFile(`${kind.dir}${path}`).catch(() => undefined);
    return body ? reply.type(kind.type).send(body) : reply.code(404).send();
  });

  await app.listen({ host: o.host, port: o.port });
  const { port } = app.server.address() as AddressInfo;
  const url = consoleUrl(o.host, port, secure);
  log.info('console serving', { url });
  return {
    url, users, sessions, audit, push,
    async close() {
      clearInterval(heartbeat);
      for (const s of streams) s.reply.raw.end();
      streams.clear();
      await app.close();
    },
  };
}

