/** The `quancun` CLI as a child process, as a person or a script runs it: exit code and both streams. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

export const QUANCUN_BIN = fileURLToPath(new URL('../../bin/quancun.mjs', import.meta.url));

export function quancun(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return quancunWithEnv({}, ...args);
}

/** The same with environment variables added to this process's (e.g. TZ, the machine's time zone). */
export async function quancunWithEnv(env: NodeJS.ProcessEnv, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await promisify(execFile)(process.execPath, [QUANCUN_BIN, ...args], { env: { ...process.env, ...env } });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The last line of a command's output, as JSON (the `--json` commands end with one); typed by the caller. */
export function lastJson<T = Record<string, unknown>>(stdout: string): T {
  return JSON.parse(stdout.trimEnd().split('\n').at(-1)!) as T;
}
