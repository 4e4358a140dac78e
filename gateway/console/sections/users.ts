/**
 * Console users, for an admin: who has which role and who is locked out; a role changed, a lockout lifted, a user
 * removed (their sessions end). New users and passwords are set with `quancun console user`, where the password is
 * typed and never passes through a page.
 */
import { z } from 'zod';
import { QuancunError } from '../../../common/errors.ts';
import { ROLES } from '../auth/roles.ts';
import type { Section } from '../section.ts';

const changeSchema = z.object({ role: z.enum(ROLES).optional(), unlock: z.boolean().optional() });

export const usersSection: Section = {
  id: 'users',
  title: { zh: '用户', en: 'Users' },
  role: 'admin',
  routes(r, gateway) {
    const console = () => gateway.console!;
    r.read('users', 'admin', async () => ({ users: await console().users.list() }));
    r.act('users/:name', 'admin', 'console.user-change', async (req) => {
      const change = changeSchema.safeParse(req.body);
      if (!change.success) throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {role?, unlock?}');
      if (req.params.name === req.user.name && change.data.role && change.data.role !== 'admin') {
        throw new QuancunError('CONSOLE_BAD_REQUEST', 'an admin cannot take away their own admin role');
      }
      await console().users.change(req.params.name!, change.data.role ? { role: change.data.role } : {});
      return { users: await console().users.list() };
    });
    r.act('users/:name/remove', 'admin', 'console.user-remove', async (req) => {
      if (req.params.name === req.user.name) throw new QuancunError('CONSOLE_BAD_REQUEST', 'an admin cannot remove themselves');
      await console().users.remove(req.params.name!);
      await console().sessions.closeAll(req.params.name!);
      return { users: await console().users.list() };
    });
  },
};
