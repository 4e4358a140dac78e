/**
 * What provisioning leaves on the board's disk once the gateway enrolled it: the kiosk's TLS files in `tls/` beside
 * its config file (private key 0600, certificate, CA chain) and the config file itself, checked against the kiosk
 * config schema before it is written. A config file already there (the image's template) keeps its campus, screens,
 * technician and announcements; kiosk id, terminal id, broker and TLS files are the enrolment's.
 */
import { existsSync } from 'node:fs';
import { chmod, copyFile, mkdir, rm, writeFile } from 'node:fs/promises';
import { writeFileAtomic } from '../common/store/locked-file.ts';
import { dirname, join } from 'node:path';
import { readJsonFile } from '../common/config.ts';
import { parseKioskConfig, type KioskConfigInput } from '../board/kiosk-config.ts';
import { parseBoardProfile, type BoardProfileInput } from '../board/board-profile.ts';
import type { TouchCalibration } from '../hal/touch/evdev-touch.ts';

/** The TLS file names as the config holds them: relative to the config file. */
export const TLS_FILES = { ca: 'tls/ca.crt', cert: 'tls/kiosk.crt', key: 'tls/kiosk.key' } as const;

export interface KioskFilesInput {
  configPath: string;
  /** Where the key was made (a temporary folder); it is copied into place with mode 0600. */
  keyPath: string;
  certificate: string;
  caChain: string[];
  kiosk: { id: string; terminalId: string };
  brokerUrl: string;
  dataDir: string;
  board: BoardProfileInput;
  /** For a config written from nothing; a template already at configPath has its own. */
  campus?: { name: string; nameEn: string };
}

export async function writeKioskFiles(o: KioskFilesInput): Promise<{ configPath: string; tls: typeof TLS_FILES }> {
  const base = existsSync(o.configPath) ? (readJsonFile(o.configPath) as Partial<KioskConfigInput>) : {};
  const campus = base.campus ?? o.campus;
  const config: KioskConfigInput = {
    ...base,
    ...(campus ? { campus } : {}),
    dataDir: o.dataDir,
    mqtt: { ...base.mqtt, url: o.brokerUrl, tls: { ...TLS_FILES } },
    kiosk: { id: o.kiosk.id, terminalId: o.kiosk.terminalId },
    board: o.board,
  } as KioskConfigInput;
  const dir = dirname(o.configPath);
  await mkdir(join(dir, 'tls'), { recursive: true, mode: 0o700 });
  const key = join(dir, TLS_FILES.key);
  await copyFile(o.keyPath, key);
  await chmod(key, 0o600);
  await writeFile(join(dir, TLS_FILES.cert), o.certificate);
  await writeFile(join(dir, TLS_FILES.ca), o.caChain.join('\n'));
  try {
    // The config as the kiosk will read it, TLS files included (key, certificate, CA, CN): CONFIG_INVALID names what
    // is wrong, e.g. the campus of a first config, before the config is written.
    parseKioskConfig(config, o.configPath);
  } catch (err) {
    await rm(join(dir, 'tls'), { recursive: true, force: true });
    throw err;
  }
  await replaceConfig(o.configPath, config);
  return { configPath: o.configPath, tls: TLS_FILES };
}

/**
 * The touch panel's calibration from the self-test, into the kiosk's config (board.touch.calibration), checked as a
 * board profile and replaced atomically; the kiosk maps touches with it from its next start.
 */
export async function saveTouchCalibration(configPath: string, calibration: TouchCalibration): Promise<void> {
  const config = readJsonFile(configPath) as KioskConfigInput;
  if (config.board.touch?.backend !== 'evdev') return;
  config.board = { ...config.board, touch: { ...config.board.touch, calibration } };
  parseBoardProfile(config.board, `${configPath} board`);
  await replaceConfig(configPath, config);
}

/** The config file replaced whole (a reader never sees half of it); readable by the kiosk's group, not the world. */
function replaceConfig(path: string, config: KioskConfigInput): Promise<void> {
  return writeFileAtomic(path, `${JSON.stringify(config, null, 2)}\n`, 0o640);
}
