/**
 * A JSON file that more than one process changes while the gateway runs (the campus CA's registry, the console's
 * users): LevelDB admits one process, so these live beside it. Every change goes through `update` (exclusive lock,
 * atomic replace); readers take no lock and see whole files only; after `update` resolves, the file on disk is the
 * new state. A file that is not JSON or does not match the schema is CONFIG_INVALID naming it.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { configInvalid } from '../config-errors.ts';
import { withFileLock, writeFileAtomic } from './locked-file.ts';

export class SharedJsonFile<S extends z.ZodType> {
  #cache: { signature: string; value: z.output<S> } | undefined;

  constructor(
    readonly path: string,
    private readonly schema: S,
    /** The value of a file that does not exist yet. */
    private readonly empty: () => z.output<S>,
  ) {}

  /** The file as on disk now; none yet is `empty()`. */
  async read(): Promise<z.output<S>> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return this.empty();
      throw err;
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw configInvalid(this.path, ['not JSON']);
    }
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success) throw configInvalid(this.path, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
    return parsed.data;
  }

  /**
   * The file, read again only when it changed (a stat per call): how a running gateway sees another process's change
   * at its next request. An atomic replace gives the file a new inode, so even a change within the file system's
   * timestamp granularity shows.
   */
  async cached(): Promise<z.output<S>> {
    const info = await stat(this.path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') return undefined;
      throw err;
    });
    const signature = info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'none';
    if (this.#cache?.signature !== signature) this.#cache = { signature, value: await this.read() };
    return this.#cache.value;
  }

  /** Reads, lets `change` decide and change the value, and writes it, under the lock; when `change` throws, nothing is written. */
  async update<T>(change: (value: z.output<S>) => T | Promise<T>): Promise<T> {
    await mkdir(dirname(this.path), { recursive: true, mode: 0o700 });
    return withFileLock(`${this.path.replace(/\.json$/, '')}.lock`, async () => {
      const value = await this.read();
      const result = await change(value);
      await writeFileAtomic(this.path, `${JSON.stringify(value, null, 2)}\n`);
      return result;
    });
  }
}
