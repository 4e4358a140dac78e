/**
 * `quancun console user …`: the console's users for the gateway's admin. The users file (console.usersFile, default
 * <dataDir>/console/users.json), or with a PostgreSQL store its row in the database, is changed under a lock and
 * whole, so these run while the gateway runs; a removed
 * user or a changed role counts at their next request. Passwords are typed at a hidden prompt (or come from
 * QUANCUN_CONSOLE_PASSWORD for scripts), never on the command line.
 */
import { QuancunError } from '../../common/errors.ts';
import type { Command, CommandOption } from '../command.ts';
import { readConfig, withConfigOption } from '../defaults.ts';

const roleOption: CommandOption = { type: 'string', description: 'viewer, operator or admin' };

/** The new password: QUANCUN_CONSOLE_PASSWORD, or typed twice at a hidden prompt on stderr. */
async function newPassword(): Promise<string> {
  const fromEnv = process.env.QUANCUN_CONSOLE_PASSWORD;
  if (fromEnv) return fromEnv;
  const { default: password } = await import('@inquirer/password');
  const { MIN_PASSWORD } = await import('../../gateway/console/auth/console-users.ts');
  const context = { output: process.stderr };
  try {
    for (;;) {
      const first = await password({ message: `Password (at least ${MIN_PASSWORD} characters):`, mask: '*', validate: (p) => p.length >= MIN_PASSWORD || `at least ${MIN_PASSWORD} characters` }, context);
      if (await password({ message: 'The same password again:', mask: '*' }, context) === first) return first;
      process.stderr.write('The two passwords differ; start again.\n');
    }
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') throw new QuancunError('CONSOLE_BAD_REQUEST', 'no password was entered');
    throw err;
  }
}

function userName(positionals: string[]): string {
  if (positionals.length !== 1) throw new QuancunError('CONFIG_INVALID', 'give exactly one user name');
  return positionals[0]!;
}

async function usersOf(v: Record<string, string | boolean | undefined>) {
  const { ConsoleUsers } = await import('../../gateway/console/auth/console-users.ts');
  return ConsoleUsers.of(readConfig(v));
}

async function roleOf(value: unknown) {
  const { ROLES } = await import('../../gateway/console/auth/roles.ts');
  const role = ROLES.find((r) => r === value);
  if (!role) throw new QuancunError('CONFIG_INVALID', `--role must be one of ${ROLES.join(', ')}`);
  return role;
}


export const consoleCommands: Command[] = [
  withConfigOption({
    name: 'console user add',
    summary: 'add a console user: quancun console user add <name> --role viewer|operator|admin',
    details: 'The password is asked for twice at a hidden prompt (or taken from QUANCUN_CONSOLE_PASSWORD).',
    options: { role: roleOption },
    async run(v, positionals) {
      const name = userName(positionals);
      const role = await roleOf(v.role);
      await (await usersOf(v)).add(name, role, await newPassword());
      console.log(`console user ${name} added (${role})`);
      return 0;
    },
  }),
  withConfigOption({
    name: 'console user passwd',
    summary: "set a console user's new password (and lift a lockout): quancun console user passwd <name>",
    options: { role: { ...roleOption, description: 'also change the role to viewer, operator or admin' } },
    async run(v, positionals) {
      const name = userName(positionals);
      const role = v.role === undefined ? undefined : await roleOf(v.role);
      await (await usersOf(v)).change(name, { password: await newPassword(), ...(role ? { role } : {}) });
      console.log(`console user ${name}: password changed${role ? `, role ${role}` : ''}`);
      return 0;
    },
  }),
  withConfigOption({
    name: 'console user remove',
    summary: 'remove a console user: quancun console user remove <name>',
    details: 'Their open sessions end at their next request.',
    async run(v, positionals) {
      const name = userName(positionals);
      await (await usersOf(v)).remove(name);
      console.log(`console user ${name} removed`);
      return 0;
    },
  }),
  withConfigOption({
    name: 'console user list',
    summary: 'list the console users, their roles and lockouts',
    options: { json: { type: 'boolean', description: 'print JSON instead of text', default: false } },
    async run(v) {
      const users = await (await usersOf(v)).list();
      if (v.json) console.log(JSON.stringify(users));
      else console.log(users.length ? users.map((u) => `${u.name}\t${u.role}${u.lockedUntil ? `\tlocked until ${u.lockedUntil}` : ''}`).join('\n') : 'no console users');
      return 0;
    },
  }),
];
