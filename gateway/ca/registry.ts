/**
 * The campus CA's registry: enrolment codes (only their SHA-256) and enrolled kiosks, one JSON file in the CA's
 * folder. Not in the gateway's LevelDB: `quancun ca` changes it while the gateway runs, and LevelDB admits one
 * process. Every change goes through `update` (exclusive lock, atomic replace); readers take no lock and see whole
 * files only. The gateway (its kiosk check, `cached`) and the broker's ACL generator read it; after `update`
 * resolves, the file on disk is the new state.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { configInvalid } from '../../common/config-errors.ts';
import { withFileLock, writeFileAtomic } from '../../common/store/locked-file.ts';

const isoTime = z.iso.datetime();

const codeRecordSchema = z.object({
  /** Names the code in listings and `quancun ca revoke-code`; unrelated to the code itself. */
  id: z.string().regex(/^[0-9a-f]{8}$/),
  kioskId: z.string().min(1),
  /** SHA-256 of the code as typed (uppercase, with dashes), hex. The code itself is never stored. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  issuedAt: isoTime,
  expiresAt: isoTime,
  /** The code may bind the kiosk id to a different board than the one it is bound to (a board swap). */
  replaceBoard: z.boolean(),
  usedAt: isoTime.optional(),
  revokedAt: isoTime.optional(),
});

const kioskRecordSchema = z.object({
  kioskId: z.string().min(1),
  terminalId: z.string(),
  /** From the board's identity EEPROM: the kiosk id stays bound to it. */
  boardSerial: z.string().min(1),
  location: z.string(),
  /** The certificate of the latest enrolment, hex serial and SHA-256 fingerprint of its DER. */
  certSerial: z.string().regex(/^[0-9a-f]+$/),
  certFingerprint: z.string().regex(/^[0-9A-F]{64}$/),
  certNotAfter: isoTime,
  enrolledAt: isoTime,
  revokedAt: isoTime.optional(),
});

/** A gateway's or operator's certificate the CA issued: the broker's ACL names each of these identities. */
const clientRecordSchema = z.object({
  identity: z.string().regex(/^(gateway|operator)\.[A-Za-z0-9][A-Za-z0-9_-]*$/),
  certSerial: z.string().regex(/^[0-9a-f]+$/),
  issuedAt: isoTime,
});

const registrySchema = z.object({
  version: z.literal(1),
  codes: z.array(codeRecordSchema),
  kiosks: z.record(z.string(), kioskRecordSchema),
  clients: z.array(clientRecordSchema).default([]),
});

export type CodeRecord = z.output<typeof codeRecordSchema>;
export type KioskRecord = z.output<typeof kioskRecordSchema>;
export type Registry = z.output<typeof registrySchema>;

const empty = (): Registry => ({ version: 1, codes: [], kiosks: {}, clients: [] });

export class CaRegistry {
  readonly path: string;
  readonly #lock: string;
  #cache: { signature: string; registry: Registry } | undefined;

  constructor(dir: string) {
    this.path = join(dir, 'registry.json');
    this.#lock = join(dir, 'registry.lock');
  }

  /** The registry as on disk now; none yet is an empty one. */
  async read(): Promise<Registry> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return empty();
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw configInvalid(this.path, ['not JSON']);
    }
    const parsed = registrySchema.safeParse(raw);
    if (!parsed.success) throw configInvalid(this.path, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
    return parsed.data;
  }

  /**
   * The registry, read again only when the file changed (a stat per call): how the gateway sees another process's
   * revocation at the next request. An atomic replace gives the file a new inode, so even a change within the
   * file system's timestamp granularity shows.
   */
  async cached(): Promise<Registry> {
    const info = await stat(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    const signature = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'none';
    if (this.#cache?.signature !== signature) this.#cache = { signature, registry: await this.read() };
    return this.#cache.registry;
  }

  /**
   * Reads, lets `change` decide and change the registry, and writes it, under the lock. When `change` throws (a
   * refusal), nothing is written: the registry on disk is as before.
   */
  update<T>(change: (registry: Registry) => T | Promise<T>): Promise<T> {
    return withFileLock(this.#lock, async () => {
      const registry = await this.read();
      const result = await change(registry);
      await writeFileAtomic(this.path, `${JSON.stringify(registry, null, 2)}\n`);
      return result;
    });
  }
}
