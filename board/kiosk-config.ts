/**
 * A kiosk's own config file (`quancun kiosk --config /etc/quancun/kiosk.json`): who it is, where its broker and
 * journal are, its board profile and its screens. It holds no issuer key and no PIN key: the gateway holds the keys,
 * a real PIN pad holds its own. The embedded default and the chaos harness derive one per kiosk from the system
 * config (`kioskConfigFor`), so every kiosk is built from the same shape by the same entry point.
 */
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { brokerTls, configSchema, readJsonFile, type Loaded, type LoadedConfig } from '../common/config.ts';
import { tlsFilesSchema, type TlsFiles } from '../common/mqtt/tls-files.ts';
import { parseConfigSection } from '../common/config-errors.ts';
import { QuancunError } from '../common/errors.ts';
import { boardProfileSchema, SIM_BOARD_PROFILE } from './board-profile.ts';

const system = configSchema.shape;
const kioskEntry = system.kiosks.element.shape;

export const kioskConfigSchema = z.object({
  campus: system.campus,
  /** The journal's folder, relative to this file unless absolute. */
  dataDir: z.string().default('/var/lib/quancun'),
  mqtt: z.object({
    url: z.string().regex(/^mqtts?:\/\/[^/\s]+/, 'an mqtt:// or mqtts:// URL with a host'),
    /** How long the kiosk waits for the gateway's answer; longer than the bank's answer time plus a reversal. */
    requestTimeoutMs: z.number().int().positive().default(15_000),
    /** For an mqtts:// broker: the campus CA, this kiosk's certificate (CN = kiosk id) and key; relative to this file. */
    tls: tlsFilesSchema.optional(),
  }),
  kiosk: z.object({ id: kioskEntry.id, terminalId: kioskEntry.terminalId }),
  board: boardProfileSchema,
  screens: z.object({
    /** The size screens are drawn at when the board has no display of its own (the live view); else the display's. */
    width: z.number().int().min(320).default(1024),
    height: z.number().int().min(240).default(600),
    /** How long a session screen waits for the cardholder before returning to idle. */
    inactivitySeconds: z.number().int().min(5).max(600).default(60),
  }).default({ width: 1024, height: 600, inactivitySeconds: 60 }),
  technician: system.technician,
  announcements: system.announcements,
  /** The health report (event `telemetry`) every so many seconds while connected. */
  telemetry: z.object({ intervalSeconds: z.number().int().min(1).max(3600).default(60) }).default({ intervalSeconds: 60 }),
  /**
   * Remote commands (docs/remote-commands.md): the campus CA certificate (PEM file, relative to this file unless
   * absolute) whose gateway.<name> and operator.<name> certificates may sign them. Without it every command is refused.
   */
  commands: z.object({ trustedCa: z.string().min(1) }).optional(),
});

export type KioskConfig = z.infer<typeof kioskConfigSchema>;
export type KioskConfigInput = z.input<typeof kioskConfigSchema>;

export type LoadedKioskConfig = Loaded<KioskConfig>;

/** Every key checked, an unknown one (an `issuer` section copied from the gateway's file) named as an error. */
export function parseKioskConfig(raw: unknown, path = '<inline>'): LoadedKioskConfig {
  const config = parseConfigSection(kioskConfigSchema, raw, path);
  if (config.commands) config.commands.trustedCa = resolve(dirname(path), config.commands.trustedCa);
  const tls = brokerTls(config.mqtt, path, { test: (cn) => cn === config.kiosk.id, what: `this kiosk's id ${config.kiosk.id}` });
  return { config, path, dataDir: resolve(dirname(path), config.dataDir), ...(tls ? { tls } : {}) };
}

export function loadKioskConfig(path: string): LoadedKioskConfig {
  return parseKioskConfig(readJsonFile(path), resolve(path));
}

/** The broker a process other than the gateway connects to: `embedded` is the gateway's, on its fixed port. */
export function brokerUrl(loaded: LoadedConfig): string {
  const { url, embeddedPort } = loaded.config.mqtt;
  if (url !== 'embedded') return url;
  if (!embeddedPort) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: mqtt.embeddedPort must be fixed for kiosks in other processes to find the gateway's broker`);
  return `mqtt://127.0.0.1:${embeddedPort}`;
}

/**
 * Kiosk `id` of a system config (the embedded default's, the chaos harness's) as its own config: the simulated
 * board with the entry's reader, the system's broker (or `mqttUrl`) and data dir. No key is carried over.
 */
export function kioskConfigFor(loaded: LoadedConfig, id: string, o: { mqttUrl?: string; dataDir?: string; tls?: TlsFiles } = {}): KioskConfigInput {
  const { config } = loaded;
  const entry = config.kiosks.find((k) => k.id === id);
  if (!entry) throw new QuancunError('CONFIG_INVALID', `${loaded.path}: no kiosk "${id}" (kiosks: ${config.kiosks.map((k) => k.id).join(', ')})`);
  return {
    campus: config.campus,
    dataDir: o.dataDir ?? loaded.dataDir,
    mqtt: { url: o.mqttUrl ?? brokerUrl(loaded), requestTimeoutMs: config.mqtt.requestTimeoutMs, ...(o.tls ? { tls: o.tls } : {}) },
    kiosk: { id: entry.id, terminalId: entry.terminalId },
    board: { ...SIM_BOARD_PROFILE, reader: entry.reader },
    ...(config.technician ? { technician: config.technician } : {}),
    ...(config.announcements ? { announcements: config.announcements } : {}),
  };
}
