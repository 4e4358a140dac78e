/**
 * A JSON document that more than one process changes while the gateway runs (the campus CA's registry, the console's
 * users): `quancun ca` and `quancun console-user` change it beside a running gateway, which a store's one-writer lock
 * does not allow. Every change goes through `update` (exclusive, all or nothing); readers see whole documents only;
 * after `update` resolves, the stored document is the new state. One that is not JSON or does not match the schema
 * is CONFIG_INVALID naming where it is. Where it is kept is its storage: a file here (locked, atomically replaced),
 * or a row of the gateway's PostgreSQL database (gateway/store/pg-document.ts), so a standby on another host reads
 * the same one.
 */
import { mkdir, readFile, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { z } from 'zod';
import { configInvalid } from '../config-errors.ts';
import { withFileLock, writeFileAtomic } from './locked-file.ts';

/** Where a shared document's text is kept. */
export interface DocumentStorage {
  /** Names it in errors and logs: a file's path, or the database and the document's name. */
  readonly location: string;
  /** The text now; undefined when there is none yet. */
  read(): Promise<string | undefined>;
  /** Changes whenever the text does, and costs less than reading it: how a reader sees another process's change. */
  signature(): Promise<string>;
  /** Under an exclusive lock: the text now, then `change`'s text is stored; when `change` throws, nothing is. */
  update(change: (text: string | undefined) => Promise<string>): Promise<void>;
  close(): Promise<void>;
}

/** A file beside the store, changed under a lock file and replaced atomically. */
export function fileStorage(path: string): DocumentStorage {
  const read = async (): Promise<string | undefined> => {
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  };
  return {
    location: path,
    read,
    async signature() {
      const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return undefined;
        throw err;
      });
      // An atomic replace gives the file a new inode, so even a change within the timestamp granularity shows.
      return info ? `${info.ino}:${info.size}:${info.mtimeMs}` : 'none';
    },
    async update(change) {
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      await withFileLock(`${path.replace(/\.json$/, '')}.lock`, async () => writeFileAtomic(path, await change(await read())));
    },
    close: async () => {},
  };
}

export class SharedJson<S extends z.ZodType> {
  #cache: { signature: string; value: z.output<S> } | undefined;

  constructor(
    readonly storage: DocumentStorage,
    private readonly schema: S,
    /** The value of a document that does not exist yet. */
    private readonly empty: () => z.output<S>,
  ) {}

  /** The document as stored now; none yet is `empty()`. */
  async read(): Promise<z.output<S>> {
    return this.#parse(await this.storage.read());
  }

  /** The document, read again only when its signature changed: how a running gateway sees another process's change at its next request. */
  async cached(): Promise<z.output<S>> {
    const signature = await this.storage.signature();
    if (this.#cache?.signature !== signature) this.#cache = { signature, value: await this.read() };
    return this.#cache.value;
  }

  /** Reads, lets `change` decide and change the value, and stores it, under the lock; when `change` throws, nothing is stored. */
  async update<T>(change: (value: z.output<S>) => T | Promise<T>): Promise<T> {
    let result!: T;
    await this.storage.update(async (text) => {
      const value = this.#parse(text);
      result = await change(value);
      return `${JSON.stringify(value, null, 2)}\n`;
    });
    return result;
  }

  close(): Promise<void> {
    return this.storage.close();
  }

  #parse(text: string | undefined): z.output<S> {
    if (text === undefined) return this.empty();
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      throw configInvalid(this.storage.location, ['not JSON']);
    }
    const parsed = this.schema.safeParse(raw);
    if (!parsed.success) throw configInvalid(this.storage.location, parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
    return parsed.data;
  }
}
