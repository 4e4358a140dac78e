/** The shape of a `quancun` subcommand: its options are declared once and drive both parsing and --help. */
import type { ParseArgsConfig } from 'node:util';

export interface CommandOption {
  type: 'string' | 'boolean';
  description: string;
  default?: string | boolean;
  short?: string;
}

export interface Command {
  name: string;
  summary: string;
  /** Longer text for `quancun <name> --help`. */
  details?: string;
  options: Record<string, CommandOption>;
  run(values: Record<string, string | boolean | undefined>, positionals: string[]): Promise<number>;
}

export function parseArgsOptions(command: Command): NonNullable<ParseArgsConfig['options']> {
  return Object.fromEntries(
    Object.entries(command.options).map(([name, o]) => [name, { type: o.type, ...(o.short ? { short: o.short } : {}), ...(o.default !== undefined ? { default: o.default } : {}) }]),
  ) as NonNullable<ParseArgsConfig['options']>;
}

export function commandHelp(command: Command): string {
  const lines = [`quancun ${command.name} — ${command.summary}`, ''];
  if (command.details) lines.push(command.details, '');
  lines.push('Options:');
  for (const [name, o] of Object.entries(command.options)) {
    const flag = `--${name}${o.type === 'string' ? ' <value>' : ''}`;
    lines.push(`  ${flag.padEnd(26)} ${o.description}${o.default !== undefined && o.default !== false ? ` (default: ${o.default})` : ''}`);
  }
  lines.push(`  ${'--help'.padEnd(26)} this text`);
  return lines.join('\n');
}
