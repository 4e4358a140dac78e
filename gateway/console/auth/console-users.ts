/**
 * The console's users: name, role and salted scrypt hash of the password, with the count of failed sign-ins in a row
 * and the lockout they caused. One JSON file beside the gateway's store (common/store/shared-json-file.ts):
 * `quancun console user` changes it while the gateway runs, and the gateway sees the change at the next sign-in.
 */
import { z } from 'zod';
import { hashSecret, secretMatches, SECRET_HASH } from '../../../common/crypto/secret-hash.ts';
import { QuancunError } from '../../../common/errors.ts';
import { consoleUsersFile, type LoadedConfig } from '../../../common/config.ts';
import { SharedJson, type DocumentStorage } from '../../../common/store/shared-json.ts';
import { documentStorage } from '../../store/shared-documents.ts';
import { ROLES, type ConsoleUser, type Role } from './roles.ts';

export const USER_NAME = /^[a-z][a-z0-9._-]{1,31}$/;
export const MIN_PASSWORD = 10;

const userSchema = z.object({
  role: z.enum(ROLES),
  passwordHash: z.string().regex(SECRET_HASH),
  changedAt: z.iso.datetime(),
  failures: z.number().int().min(0).default(0),
  lockedUntil: z.iso.datetime().optional(),
});
const fileSchema = z.object({ version: z.literal(1), users: z.record(z.string().regex(USER_NAME), userSchema) });

export interface LockoutPolicy {
  failures: number;
  minutes: number;
}

export interface UserListing extends ConsoleUser {
  changedAt: string;
  lockedUntil: string | null;
}

/** Checked against when the user does not exist, so an unknown name costs the same scrypt as a wrong password. */
const DECOY = hashSecret('decoy');

function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD) throw new QuancunError('CONSOLE_BAD_REQUEST', `a console password has at least ${MIN_PASSWORD} characters`);
}

export class ConsoleUsers extends SharedJson<typeof fileSchema> {
  constructor(storage: DocumentStorage, private readonly now: () => Date = () => new Date()) {
    super(storage, fileSchema, () => ({ version: 1 as const, users: {} }));
  }

  /** Where the gateway's config keeps them: the users file, or the row of its PostgreSQL store. */
  static of(loaded: LoadedConfig, dataDir?: string): ConsoleUsers {
    return new ConsoleUsers(documentStorage(loaded, 'console-users', consoleUsersFile(loaded, dataDir)));
  }

  async list(): Promise<UserListing[]> {
    const { users } = await this.read();
    return Object.entries(users).map(([name, u]) => ({ name, role: u.role, changedAt: u.changedAt, lockedUntil: u.lockedUntil ?? null }))
      .sort((a, b) => a.name.localeCompare(b.name));
  }

  add(name: string, role: Role, password: string): Promise<void> {
    if (!USER_NAME.test(name)) throw new QuancunError('CONSOLE_BAD_REQUEST', `a user name is 2–32 of a-z 0-9 . _ - starting with a letter, not "${name}"`);
    checkPassword(password);
    return this.update((file) => {
      if (file.users[name]) throw new QuancunError('CONSOLE_USER_EXISTS', `console user ${name} already exists`);
      file.users[name] = { role, passwordHash: hashSecret(password), changedAt: this.now().toISOString(), failures: 0 };
    });
  }

  /** A new password (and role, when given); lifts a lockout. */
  change(name: string, o: { password?: string; role?: Role }): Promise<void> {
    if (o.password !== undefined) checkPassword(o.password);
    return this.update((file) => {
      const user = file.users[name];
      if (!user) throw new QuancunError('CONSOLE_USER_UNKNOWN', `no console user ${name}`);
      if (o.password !== undefined) file.users[name] = { ...user, passwordHash: hashSecret(o.password), changedAt: this.now().toISOString(), failures: 0 };
      if (o.role) file.users[name]!.role = o.role;
      delete file.users[name]!.lockedUntil;
    });
  }

  remove(name: string): Promise<void> {
    return this.update((file) => {
      if (!file.users[name]) throw new QuancunError('CONSOLE_USER_UNKNOWN', `no console user ${name}`);
      delete file.users[name];
    });
  }

  /** The user's role now (a role changed or a user removed in another process shows at once); undefined when removed. */
  async current(name: string): Promise<ConsoleUser | undefined> {
    const user = (await this.cached()).users[name];
    return user ? { name, role: user.role } : undefined;
  }

  /**
   * Checks a password. A wrong one counts towards `policy.failures` in a row, which lock the user for
   * `policy.minutes`; while locked even the right password is refused (CONSOLE_LOCKED), so guessing gains nothing.
   * An unknown user and a wrong password are the same CONSOLE_SIGN_IN_FAILED.
   */
  async signIn(name: string, password: string, policy: LockoutPolicy): Promise<ConsoleUser> {
    const known = (await this.cached()).users[name];
    if (!known) {
      secretMatches(password, DECOY);
      throw new QuancunError('CONSOLE_SIGN_IN_FAILED', 'wrong user name or password');
    }
    const now = this.now();
    if (known.lockedUntil && Date.parse(known.lockedUntil) > now.getTime()) {
      throw new QuancunError('CONSOLE_LOCKED', `user ${name} is locked until ${known.lockedUntil}`, { lockedUntil: known.lockedUntil });
    }
    const ok = secretMatches(password, known.passwordHash);
    if (ok && known.failures === 0 && !known.lockedUntil) return { name, role: known.role };
    const locked = await this.update((file) => {
      const user = file.users[name];
      if (!user) return false;
      if (ok) {
        user.failures = 0;
        delete user.lockedUntil;
        return false;
      }
      user.failures += 1;
      if (user.failures < policy.failures) return false;
      user.failures = 0;
      user.lockedUntil = new Date(now.getTime() + policy.minutes * 60_000).toISOString();
      return true;
    });
    if (ok) return { name, role: known.role };
    if (locked) throw new QuancunError('CONSOLE_LOCKED', `user ${name} is locked for ${policy.minutes} min after ${policy.failures} failed sign-ins`);
    throw new QuancunError('CONSOLE_SIGN_IN_FAILED', 'wrong user name or password');
  }
}
