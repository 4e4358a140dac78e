/**
 * What a console section is (docs/console.md): its page in the shell (`web/sections/<id>.js`) and its API routes.
 * The core behind `ConsoleRoutes` decides who may do what on the server, checks CSRF and audits every action; a
 * section only says which role each route needs.
 */
import type { Gateway } from '../gateway.ts';
import type { ConsoleUser, Role } from './auth/roles.ts';

export interface ReadRequest {
  params: Record<string, string>;
  query: Record<string, string>;
  user: ConsoleUser;
}

export interface ActRequest extends ReadRequest {
  body: Record<string, unknown>;
}

export interface Download {
  filename: string;
  type: string;
  body: string | Buffer;
}

export interface ConsoleRoutes {
  /** GET /api/<path> for a signed-in user with at least `role`. */
  read(path: string, role: Role, handler: (req: ReadRequest) => Promise<unknown>): void;
  /** POST /api/<path> with a JSON body: role-checked, CSRF-checked, audited as `action` with its result. */
  act(path: string, role: Role, action: string, handler: (req: ActRequest) => Promise<unknown>): void;
  /** GET /api/<path> answering a file to save. */
  download(path: string, role: Role, handler: (req: ReadRequest) => Promise<Download>): void;
  /** A live event to every signed-in page (Server-Sent Events). */
  push(event: string, data: unknown): void;
}

export interface Section {
  /** The route `#/<id>` and the page module `web/sections/<id>.js`. */
  id: string;
  title: { zh: string; en: string };
  /** Least role that sees the section in the menu (its routes check their own). */
  role?: Role;
  routes(r: ConsoleRoutes, gateway: Gateway): void;
}
