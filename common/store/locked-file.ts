/**
 * A small file that more than one process changes (the campus CA's registry: the gateway enrols kiosks while
 * `quancun ca` issues and revokes codes in another process). Each change reads, decides and writes under an
 * exclusive lock file; the write is atomic (temp file, fsync, rename, fsync of the folder), so a reader that takes
 * no lock sees the old file or the new one, never half of one, and a crash leaves one of the two.
 */
import { backoffDelay } from '../backoff.ts';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { QuancunError } from '../errors.ts';

export async function writeFileAtomic(path: string, data: string, mode = 0o600): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  const file = await open(temp, 'w', mode);
  try {
    await file.writeFile(data);
    await file.sync();
  } finally {
    await file.close();
  }
  await rename(temp, path);
  const folder = await open(dirname(path), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

export interface LockOptions {
  /** A lock older than this is a crashed holder's even if its pid is alive again (reused, or in another namespace). */
  staleMs?: number;
  /** How long to wait for a live holder before giving up. */
  waitMs?: number;
}

/** How often a held lock is looked at again: soon at first (a short holder), then less often. */
const LOCK_POLL = { minMs: 5, maxMs: 200 };

/** Runs `fn` holding `lockPath` (created O_EXCL, holding the holder's pid); a lock whose holder is gone is broken. */
export async function withFileLock<T>(lockPath: string, fn: () => Promise<T>, o: LockOptions = {}): Promise<T> {
  const deadline = Date.now() + (o.waitMs ?? 10_000);
  for (let tries = 1; ; tries++) {
    const lock = await open(lockPath, 'wx', 0o600).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'EEXIST') return undefined;
      throw err;
    });
    if (lock) {
      try {
        await lock.writeFile(`${process.pid}\n`);
      } finally {
        await lock.close();
      }
      try {
        return await fn();
      } finally {
        await rm(lockPath, { force: true });
      }
    }
    const holder = await lockHolder(lockPath, o.staleMs ?? 30_000);
    if (holder === 'stale') {
      await rm(lockPath, { force: true });
      continue;
    }
    if (Date.now() > deadline) throw new QuancunError('INTERNAL', `${lockPath} is held by process ${holder ?? '?'}; try again when it has finished`);
    await delay(backoffDelay(LOCK_POLL, tries));
  }
}

/** The pid in a lock, 'stale' when that process is gone or the lock is too old, undefined when it just went away. */
async function lockHolder(lockPath: string, staleMs: number): Promise<number | 'stale' | undefined> {
  const [text, info] = await Promise.all([readFile(lockPath, 'utf8'), stat(lockPath)]).catch(() => [undefined, undefined]);
  if (text === undefined || info === undefined) return undefined;
  const pid = Number.parseInt(text, 10);
  // A lock still being written holds no pid yet: only its age can make it stale.
  if (Date.now() - info.mtimeMs > staleMs || (Number.isInteger(pid) && pid > 0 && !alive(pid))) return 'stale';
  return Number.isInteger(pid) ? pid : undefined;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}
