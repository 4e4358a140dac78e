/**
 * A private PostgreSQL cluster (Debian's postgresql package, its newest installed major version) in a folder of its
 * own, listening only on a Unix socket in that folder: the real database for the store's contract suite, the e2e
 * suite on PostgreSQL and the fleet benchmark. Settings are the server's defaults (fsync and synchronous commits on):
 * what is measured and tested is what a campus runs. As root, initdb and the server run as the `postgres` user the
 * package creates (PostgreSQL refuses to run as root).
 */
import { execFileSync } from 'node:child_process';
import { chmod, chown, mkdir } from 'node:fs/promises';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';

/** Where Debian installs each major version's server programs. */
const PG_LIB = '/usr/lib/postgresql';
const SUPERUSER = 'quancun';

export interface PgCluster {
  dir: string;
  /** The URL of `database` on this cluster, through its socket. */
  url(database: string): string;
  /** A new empty database; returns its URL. */
  createDatabase(name: string): Promise<string>;
  /** Stopped in immediate mode, as a crash ends it (no checkpoint; crash recovery at the next start); `restart()` brings it back on the same files. */
  kill(): Promise<void>;
  restart(): Promise<void>;
  stop(): Promise<void>;
}

/** Clusters still running when this process exits are stopped with it (immediately: a test run is over). */
const running = new Set<() => void>();
process.once('exit', () => {
  for (const stop of running) stop();
});

export function pgBin(program: 'initdb' | 'pg_ctl'): string {
  const versions = existsSync(PG_LIB) ? readdirSync(PG_LIB).filter((v) => existsSync(join(PG_LIB, v, 'bin', program))) : [];
  const newest = versions.sort((a, b) => Number(b) - Number(a))[0];
  if (!newest) throw new Error(`PostgreSQL's ${program} not found under ${PG_LIB}: install the Debian package postgresql`);
  return join(PG_LIB, newest, 'bin', program);
}

/** As root, the `postgres` user's ids; otherwise this process's own. */
function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const [uid, gid] = ['-u', '-g'].map((flag) => Number(execFileSync('id', [flag, 'postgres'], { encoding: 'utf8' }).trim()));
  return { uid: uid!, gid: gid! };
}

/** initdb in `dir` (once: a folder already holding a cluster is started as it is), then the server. */
export async function startPgCluster(dir: string): Promise<PgCluster> {
  const data = join(dir, 'data');
  const socket = join(dir, 'socket');
  const user = serverUser();
  await mkdir(socket, { recursive: true });
  if (user) {
    await chown(dir, user.uid, user.gid);
    await chown(socket, user.uid, user.gid);
  }
  await chmod(dir, 0o755);
  if (!existsSync(join(data, 'PG_VERSION'))) {
    // --no-sync: initdb's own files; the server's commits are synced as always.
    execFileSync(pgBin('initdb'), ['-D', data, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--no-locale', '--no-sync'], {
      stdio: ['ignore', 'ignore', 'pipe'], ...user,
    });
  }
  const log = join(dir, 'server.log');
  // pg_ctl -w returns once the server accepts connections; the server is not this process's child, so a test process
  // can end while it runs (the exit hook above stops it).
  const pgCtl = (...args: string[]) => execFileSync(pgBin('pg_ctl'), ['-D', data, ...args], { stdio: ['ignore', 'ignore', 'pipe'], ...user });
  const start = () => pgCtl('start', '-w', '-l', log, '-o', `-k ${socket} -c listen_addresses='' -c unix_socket_permissions=0777 -c max_connections=300`);
  const stop = (mode: 'fast' | 'immediate') => {
    running.delete(stopImmediately);
    pgCtl('stop', '-w', '-m', mode);
  };
  const stopImmediately = () => stop('immediate');
  start();
  running.add(stopImmediately);
  const url = (database: string) => `postgresql://${SUPERUSER}@${encodeURIComponent(socket)}/${database}`;
  return {
    dir,
    url,
    async createDatabase(name) {
      const admin = new pg.Client({ connectionString: url('postgres') });
      await admin.connect();
      try {
        await admin.query(`create database ${pg.escapeIdentifier(name)}`);
      } finally {
        await admin.end();
      }
      return url(name);
    },
    async kill() {
      stop('immediate');
    },
    async restart() {
      start();
      running.add(stopImmediately);
    },
    async stop() {
      // Fast shutdown: clients disconnected, a checkpoint written.
      stop('fast');
    },
  };
}
