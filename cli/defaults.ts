/** Paths and helpers the subcommands share. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadConfig, type LoadedConfig } from '../common/config.ts';
import { createLogger, type Logger } from '../common/log.ts';
import { journalSink } from '../common/systemd/journal-sink.ts';
import type { Command, CommandOption } from './command.ts';

export const PACKAGE_ROOT = resolve(import.meta.dirname, '..');
export const DEFAULT_CONFIG = resolve(PACKAGE_ROOT, 'config/embedded.json');

export const configOption = { type: 'string', description: 'configuration file', default: DEFAULT_CONFIG } as const;
export const verboseOption = { type: 'boolean', description: 'operator log on stderr', default: false } as const;

/** A command of a group that reads the gateway's config file (`quancun ca …`, `quancun console user …`): `--config` added. */
export const withConfigOption = (c: Omit<Command, 'options'> & { options?: Record<string, CommandOption> }): Command => ({
  ...c, options: { ...c.options, config: configOption },
});

export function readConfig(values: Record<string, unknown>): LoadedConfig {
  return loadConfig(String(values.config ?? DEFAULT_CONFIG));
}

/** Operator logs go to stderr as JSON lines; quiet commands keep only warnings so their stdout stays readable. */
export function cliLogger(verbose: boolean): Logger {
  return createLogger({ level: verbose ? 'debug' : (process.env.QUANCUN_LOG_LEVEL as 'info' | undefined) ?? 'warn' });
}

/**
 * A service's log (kiosk, gateway): under systemd each record goes to the journal with its fields
 * (common/systemd/journal-sink.ts); elsewhere as JSON lines on stderr, like cliLogger.
 */
export function serviceLogger(verbose: boolean, identifier: string): Logger {
  const sink = journalSink(identifier);
  const level = verbose ? 'debug' : (process.env.QUANCUN_LOG_LEVEL as 'info' | undefined) ?? (sink ? 'info' : 'warn');
  return createLogger({ level, ...(sink ? { sink } : {}) });
}

/** The version a process reports on its MQTT state: the package's (one folder up in the compiled dist/). */
export function packageVersion(): string {
  const file = [resolve(PACKAGE_ROOT, 'package.json'), resolve(PACKAGE_ROOT, '..', 'package.json')].find((f) => existsSync(f))!;
  return (JSON.parse(readFileSync(file, 'utf8')) as { version: string }).version;
}
