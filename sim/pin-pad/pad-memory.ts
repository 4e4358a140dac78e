/**
 * The simulated PIN pad's key memory: a real pad keeps the key injected at provisioning in its own secure memory,
 * so the simulated one keeps it in a file of its own (mode 0600) that only provisioning writes. The kiosk's config
 * never holds it; a pad whose memory is empty holds no key and cannot encrypt a PIN.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Where the simulated pad of kiosk `kioskId` keeps its key, under the kiosk's data dir. */
export function padMemoryPath(dataDir: string, kioskId: string): string {
  return join(dataDir, 'sim', `pin-pad-${kioskId}.key`);
}

export async function writePadKey(path: string, key: Buffer): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  await writeFile(path, `${key.toString('hex').toUpperCase()}\n`, { mode: 0o600 });
}

/** The key as hex, or undefined when the pad was never given one. */
export async function readPadKey(path: string): Promise<string | undefined> {
  try {
    return (await readFile(path, 'utf8')).trim();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
}
