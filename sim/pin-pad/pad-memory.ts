/**
 * The simulated PIN pad's memory: a real pad keeps its serial and transport key (from its factory) and the PIN key
 * loaded at provisioning in its own secure memory, so the simulated one keeps them in a file of its own (mode 0600,
 * JSON) that only its factory (`manufactureSimPad`), provisioning and the pad itself write. The kiosk's config never
 * holds them; a pad with no PIN key cannot encrypt a PIN, one with no transport key cannot take one over the line.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { padTransportKey } from '../../common/crypto/pad-keys.ts';

export interface PadMemory {
  serial?: string;
  /** Hex, 16 bytes. */
  transportKey?: string;
  /** Hex. */
  pinKey?: string;
}

/** Where the simulated pad of kiosk `kioskId` keeps its memory, under the kiosk's data dir. */
export function padMemoryPath(dataDir: string, kioskId: string): string {
  return join(dataDir, 'sim', `pin-pad-${kioskId}.key`);
}

/** Empty when the pad was never made or given anything. A file from before the JSON layout holds the PIN key alone. */
export async function readPadMemory(path: string): Promise<PadMemory> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw err;
  }
  return text.startsWith('{') ? (JSON.parse(text) as PadMemory) : { pinKey: text };
}

async function writePadMemory(path: string, memory: PadMemory): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${JSON.stringify(memory)}\n`, { mode: 0o600 });
}

/** Puts a PIN key in the pad's memory, keeping its serial and transport key. */
export async function writePadKey(path: string, key: Buffer): Promise<void> {
  await writePadMemory(path, { ...(await readPadMemory(path)), pinKey: key.toString('hex').toUpperCase() });
}

/**
 * The pad's factory: its serial and the transport key diversified for it from the campus pad transport master key,
 * as the key-loading station at the pad maker's does; any PIN key it held is gone.
 */
export async function manufactureSimPad(path: string, serial: string, transportMasterKey: Buffer): Promise<void> {
  await writePadMemory(path, { serial, transportKey: padTransportKey(transportMasterKey, serial).toString('hex').toUpperCase() });
}
