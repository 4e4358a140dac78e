/**
 * The live simulator view: a loopback-only web page showing the kiosk screen as drawn (PNG patches over Server-Sent
 * Events), turning clicks into ScreenHost touches, with a side panel for the simulated hardware. It drives the same
 * runtime as the board; the page has no UI logic of its own.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { QuancunError } from '../../common/errors.ts';
import type { Rect } from '../../hal/display/display.ts';
import type { UiAction } from '../view-model.ts';
import type { LiveDisplay, Patch } from './live-display.ts';
import { livePage } from './page.ts';
import type { SimulatorPanel } from './simulator-panel.ts';

export interface LiveViewOptions {
  display: LiveDisplay;
  /** Usually the ScreenHost: a click becomes touch(x, y) in screen pixels. */
  screen: { touch(x: number, y: number): UiAction | null };
  panel: SimulatorPanel;
  /** Loopback only: 127.0.0.1 (default), another 127.x address, ::1 or localhost. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
}

export interface LiveViewServer {
  url: string;
  close(): Promise<void>;
}

const LOOPBACK = /^(127(\.\d{1,3}){3}|::1|localhost)$/;
const MAX_BODY = 4096;

class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

async function readJson(req: IncomingMessage): Promise<Record<string, unknown>> {
  // A JSON content type makes a cross-site form post impossible without a CORS preflight, which is never answered.
  if (!req.headers['content-type']?.startsWith('application/json')) throw new HttpError(415, 'application/json only');
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > MAX_BODY) throw new HttpError(413, 'body too large');
  }
  try {
    const value: unknown = JSON.parse(body || '{}');
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // fall through
  }
  throw new HttpError(400, 'expected a JSON object');
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const data = Buffer.isBuffer(body) ? body : Buffer.from(type === 'application/json' ? JSON.stringify(body) : String(body));
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', 'content-length': data.length });
  res.end(data);
}

const patchJson = (patches: Patch[]): string => JSON.stringify(patches.map((p) => ({ x: p.x, y: p.y, w: p.w, h: p.h, png: p.png.toString('base64') })));

export async function startLiveView(options: LiveViewOptions): Promise<LiveViewServer> {
  const host = options.host ?? '127.0.0.1';
  if (!LOOPBACK.test(host)) throw new QuancunError('CONFIG_INVALID', `live view must listen on loopback, not ${host}`, { host });
  const { display, screen, panel } = options;
  const clients = new Set<ServerResponse>();
  const broadcast = (event: string, data: string): void => {
    for (const res of clients) res.write(`event: ${event}\ndata: ${data}\n\n`);
  };
  // Pixels are cropped when an update arrives, encoded once and sent in order through one chain, so a slow encode
  // never lets an older patch win and a page that joins gets its full frame before any later patch.
  let sending: Promise<void> = Promise.resolve();
  let watchers = 0;
  const enqueue = (step: () => Promise<void>): void => {
    sending = sending.then(step).catch(() => {});
  };
  const onUpdate = (changed: readonly Rect[]): void => {
    if (watchers === 0) return;
    const encoded = display.patches(changed);
    enqueue(async () => broadcast('frame', patchJson(await encoded)));
  };
  display.on('update', onUpdate);

  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> = {
    'GET /': async (_req, res) => send(res, 200, livePage(display.width, display.height), 'text/html; charset=utf-8'),
    'GET /favicon.ico': async (_req, res) => {
      res.writeHead(204).end();
    },
    'GET /events': async (req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
      watchers++;
      const initial = display.patches();
      enqueue(async () => {
        // retry: a page whose process comes back reconnects within a second, not the browser's default three.
        res.write(`retry: 1000\nevent: frame\ndata: ${patchJson(await initial)}\n\n`);
        if (!res.destroyed) clients.add(res);
      });
      req.on('close', () => {
        watchers--;
        clients.delete(res);
      });
    },
    'POST /touch': async (req, res) => {
      const { x, y } = await readJson(req);
      if (!Number.isInteger(x) || !Number.isInteger(y)) throw new HttpError(400, 'x and y must be integers');
      const action = screen.touch(x as number, y as number);
      if (action) broadcast('action', JSON.stringify(action));
      send(res, 200, { action });
    },
    'GET /panel': async (_req, res) => send(res, 200, { cards: await panel.cards(), status: await panel.status(), pinPad: typeof panel.typePin === 'function' }),
    'POST /panel/card': async (req, res) => {
      const { id } = await readJson(req);
      if (typeof id !== 'string') throw new HttpError(400, 'id must be a string');
      await panel.tapCard(id);
      send(res, 200, { ok: true });
    },
    'POST /panel/remove': async (req, res) => {
      await readJson(req);
      await panel.removeCard();
      send(res, 200, { ok: true });
    },
    'POST /panel/paper': async (req, res) => {
      const { out } = await readJson(req);
      await panel.setPaperOut(out === true);
      send(res, 200, { ok: true });
    },
    'POST /panel/network': async (req, res) => {
      const { up } = await readJson(req);
      await panel.setNetwork(up === true);
      send(res, 200, { ok: true });
    },
    'POST /panel/pin': async (req, res) => {
      const { digits } = await readJson(req);
      if (!panel.typePin) throw new HttpError(404, 'no simulated PIN pad');
      if (typeof digits !== 'string' || !/^\d{1,12}$/.test(digits)) throw new HttpError(400, 'digits must be 1 to 12 digits');
      await panel.typePin(digits);
      send(res, 200, { ok: true });
    },
    'GET /receipt': async (_req, res) => {
      const receipt = await panel.lastReceipt();
      send(res, 200, receipt ? { text: receipt.text, png: receipt.png !== undefined } : null);
    },
    'GET /receipt.png': async (_req, res) => {
      const png = (await panel.lastReceipt())?.png;
      if (!png) throw new HttpError(404, 'no receipt image');
      send(res, 200, png, 'image/png');
    },
  };

  const server = createServer((req, res) => {
    // Only a loopback Host header: a rebinding DNS name pointing at 127.0.0.1 gets nothing.
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1');
    const route = routes[`${req.method} ${new URL(req.url ?? '/', 'http://x').pathname}`];
    if (!LOOPBACK.test(hostHeader)) return send(res, 403, { error: 'loopback only' });
    if (!route) return send(res, 404, { error: 'not found' });
    route(req, res).catch((err: unknown) => {
      const status = err instanceof HttpError ? err.status : 500;
      if (!res.headersSent) send(res, status, { error: err instanceof Error ? err.message : String(err) });
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8080, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${urlHost}:${port}/`,
    async close() {
      display.off('update', onUpdate);
      for (const res of clients) res.end();
      clients.clear();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
