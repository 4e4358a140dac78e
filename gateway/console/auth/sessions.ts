/**
 * Console sessions in the gateway's store: the browser holds a random token in an HttpOnly cookie, the store only its
 * SHA-256, so a copy of the store signs nobody in. A session ends after `idleMinutes` without a request (its expiry
 * moves on at most once a minute, not at every request) or at sign-out; they survive a gateway restart.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { DurableStore } from '../../../common/store/durable-store.ts';
import type { ConsoleUser } from './roles.ts';

export interface Session {
  /** SHA-256 of the token, hex: the session's name in the store and in the CSRF token's user info. */
  id: string;
  user: string;
  createdAt: string;
  expiresAt: string;
}

const PREFIX = 'console/session/';
const digest = (token: string) => createHash('sha256').update(token).digest('hex');

export class Sessions {
  constructor(
    private readonly store: DurableStore,
    private readonly idleMinutes: number,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** A new session for `user`; the token goes to the browser only. */
  async open(user: ConsoleUser): Promise<{ token: string; session: Session }> {
    const token = randomBytes(32).toString('base64url');
    const at = this.now();
    const session: Session = { id: digest(token), user: user.name, createdAt: at.toISOString(), expiresAt: this.#expiry(at) };
    await this.store.put(PREFIX + session.id, session);
    return { token, session };
  }

  /** The live session a token names, its expiry moved on; undefined for an unknown or expired one (which is removed). */
  async find(token: string | undefined): Promise<Session | undefined> {
    if (!token) return undefined;
    const key = PREFIX + digest(token);
    const session = await this.store.get<Session>(key);
    if (!session) return undefined;
    const at = this.now();
    if (Date.parse(session.expiresAt) <= at.getTime()) {
      await this.store.batch([{ type: 'del', key }]);
      return undefined;
    }
    const moved = this.#expiry(at);
    if (Date.parse(moved) - Date.parse(session.expiresAt) >= 60_000) {
      session.expiresAt = moved;
      await this.store.put(key, session);
    }
    return session;
  }

  /** Whether the session named by its id is still open (not signed out, not expired); its expiry does not move. */
  async alive(id: string): Promise<boolean> {
    const session = await this.store.get<Session>(PREFIX + id);
    return session !== undefined && Date.parse(session.expiresAt) > this.now().getTime();
  }

  async close(session: Session): Promise<void> {
    await this.store.batch([{ type: 'del', key: PREFIX + session.id }]);
  }

  /** Ends every session of a user (removed, or given a new password). */
  async closeAll(user: string): Promise<void> {
    const mine = (await this.store.list<Session>(PREFIX)).filter((e) => e.value.user === user);
    if (mine.length) await this.store.batch(mine.map((e) => ({ type: 'del' as const, key: e.key })));
  }

  #expiry(at: Date): string {
    return new Date(at.getTime() + this.idleMinutes * 60_000).toISOString();
  }
}
