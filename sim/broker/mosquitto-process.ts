/**
 * A private Mosquitto on a loopback port, configured as a campus deploys it (TCP_NODELAY on, no persistence): the
 * real broker for the tests and the chaos harness. Resolves once Mosquitto says it is running (its listener is bound).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's mosquitto package. */
export const MOSQUITTO = '/usr/sbin/mosquitto';

export async function launchMosquitto(port: number, options: { detached?: boolean } = {}): Promise<ChildProcess> {
  const config = [
    `listener ${port} 127.0.0.1`,
    'allow_anonymous true',
    'set_tcp_nodelay true',
    'persistence false',
    'log_dest stderr', // unbuffered: stdout to a pipe is not flushed
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
  ].join('\n');
  const dir = await mkdtemp(join(tmpdir(), 'quancun-mosquitto-'));
  const file = join(dir, 'mosquitto.conf');
  await writeFile(file, `${config}\n`);
  const child = spawn(MOSQUITTO, ['-c', file], { stdio: ['ignore', 'pipe', 'pipe'], detached: options.detached ?? false });
  let output = '';
  try {
    await new Promise<void>((resolve, reject) => {
      const onData = (chunk: Buffer) => {
        output = (output + chunk.toString()).slice(-8000);
        if (/mosquitto version \S+ running/.test(output)) resolve();
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('error', reject);
      child.once('exit', (code, signal) => reject(new Error(`mosquitto exited (${code ?? signal}) before it was running:\n${output}`)));
    });
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  } finally {
    await rm(dir, { recursive: true, force: true }); // mosquitto has read its config by now
  }
  return child;
}
