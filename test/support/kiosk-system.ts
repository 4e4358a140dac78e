/**
 * The embedded default (config/embedded.json) started for one test: its own data dir on disk, the broker the test
 * names (or the embedded aedes), the simulated reader or a PC/SC reader, and a change to the config where the test
 * needs one. Everything stops at teardown.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ExecutionContext } from 'ava';
import { parseConfig, type Config, type LoadedConfig } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import { startEmbeddedSystem, type EmbeddedSystem } from '../../sim/embedded-system.ts';
import { tempDir } from './temp-dir.ts';

export const EMBEDDED_CONFIG = fileURLToPath(new URL('../../config/embedded.json', import.meta.url));

export interface TestSystemOptions {
  /** A running broker; default: the config's embedded aedes. */
  mqttUrl?: string;
  /** Run the kiosk on this PC/SC reader instead of the simulated one. */
  pcscReader?: string;
  edit?: (config: Config) => void;
}

export interface TestSystem extends EmbeddedSystem {
  loaded: LoadedConfig;
  dataDir: string;
}

export async function startTestSystem(t: ExecutionContext, o: TestSystemOptions = {}): Promise<TestSystem> {
  const raw = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  if (o.mqttUrl) raw.mqtt.url = o.mqttUrl;
  o.edit?.(raw);
  const loaded = parseConfig(raw, EMBEDDED_CONFIG);
  const dataDir = await tempDir(t, 'quancun-system-');
  const system = await startEmbeddedSystem({
    loaded, log: silentLogger, dataDir, kioskIds: ['K001'],
    ...(o.pcscReader ? { readerBackend: 'pcsc' as const, readerName: o.pcscReader } : { readerBackend: 'sim' as const }),
  });
  // Registered after tempDir's: ava runs teardowns last-in first-out, so the system stops before its folder goes.
  t.teardown(() => system.stop());
  return { ...system, loaded, dataDir };
}
