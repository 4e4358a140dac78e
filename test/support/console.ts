/**
 * The embedded default with its operator console on a free loopback port, and one console user of each role, for
 * tests that drive the console over HTTP (`ConsoleClient`, as the CLI does) or in Chromium.
 */
import type { ExecutionContext } from 'ava';
import type { Page } from 'playwright-core';
import type { Config } from '../../common/config.ts';
import { ConsoleUsers } from '../../gateway/console/auth/console-users.ts';
import type { Role } from '../../gateway/console/auth/roles.ts';
import { ConsoleClient } from '../../gateway/console/console-client.ts';
import { startTestSystem, type TestSystem, type TestSystemOptions } from './kiosk-system.ts';

/** The users every console test has, named after their role. */
export const CONSOLE_USERS: Record<Role, { name: string; password: string }> = {
  viewer: { name: 'vera', password: 'viewer-pass-1' },
  operator: { name: 'olga', password: 'operator-pass-1' },
  admin: { name: 'adam', password: 'admin-pass-01' },
};

export interface ConsoleSystem extends TestSystem {
  consoleUrl: string;
  /** Signed in as the user of that role. */
  signIn(role: Role): Promise<ConsoleClient>;
}

/** The console section of every test config: a free loopback port. */
export const TEST_CONSOLE: NonNullable<Config['console']> = { host: '127.0.0.1', port: 0, idleMinutes: 30, lockout: { failures: 3, minutes: 15 } };

export async function startConsoleSystem(t: ExecutionContext, o: TestSystemOptions = {}): Promise<ConsoleSystem> {
  const system = await startTestSystem(t, {
    ...o,
    edit(config) {
      config.console = { ...TEST_CONSOLE };
      o.edit?.(config);
    },
  });
  return withConsoleUsers(system);
}

/** A running system whose config has `TEST_CONSOLE`, with the users of CONSOLE_USERS added. */
export async function withConsoleUsers(system: TestSystem): Promise<ConsoleSystem> {
  const users = ConsoleUsers.of(system.loaded, system.dataDir);
  for (const [role, u] of Object.entries(CONSOLE_USERS)) await users.add(u.name, role as Role, u.password);
  const consoleUrl = system.gateway.console!.url;
  return {
    ...system, consoleUrl,
    signIn: (role) => ConsoleClient.signIn(consoleUrl, CONSOLE_USERS[role].name, CONSOLE_USERS[role].password),
  };
}

/** Signs the page in at the console's sign-in form as the user of that role, and waits for the shell. */
export async function signInPage(page: Page, consoleUrl: string, role: Role): Promise<void> {
  const test = (id: string) => page.locator(`[data-test="${id}"]`);
  await page.goto(consoleUrl);
  await test('user').fill(CONSOLE_USERS[role].name);
  await test('password').fill(CONSOLE_USERS[role].password);
  await test('sign-in').click();
  await test('who').waitFor();
}
