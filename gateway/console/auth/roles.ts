/** The console's roles, each allowed what the one before it is: viewer < operator < admin (docs/console.md). */
export const ROLES = ['viewer', 'operator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

export const hasRole = (held: Role, needed: Role): boolean => ROLES.indexOf(held) >= ROLES.indexOf(needed);

export interface ConsoleUser {
  name: string;
  role: Role;
}
