/**
 * A private Mosquitto on a loopback port, configured as a campus deploys it (TCP_NODELAY on, no persistence): the
 * real broker for the tests and the chaos harness. Resolves once Mosquitto says it is running (its listener is bound).
 * `secure` gives it the campus layout of deploy/mosquitto/: a mutual-TLS listener for kiosks, gateways and operators
 * (the certificate's CN is the username and the client id; the ACL file from common/api/access.ts) and a provisioning
 * listener (server TLS, the installers' password accounts `installer.<name>`, its own ACL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { chown, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Debian's mosquitto package. */
export const MOSQUITTO = '/usr/sbin/mosquitto';

export interface SecureBrokerFiles {
  /** The campus CA; the broker's certificate (with the CA after it) and key. */
  caFile: string;
  certFile: string;
  keyFile: string;
  aclFile: string;
  provisioning?: { port: number; passwordFile: string; aclFile: string };
}

/**
 * The broker's own settings, before the listeners; deploy/mosquitto/quancun.conf holds the same lines. No-delay keeps
 * a QoS 1 round trip under a millisecond. A gateway that (re)connects — a standby taking over — is sent every
 * kiosk's retained state at once: past the default queue of 1000 messages a client, Mosquitto drops what comes next,
 * kiosks' requests included, so a campus of thousands of kiosks needs room for all of them and their requests.
 */
export const BROKER_SETTINGS = ['set_tcp_nodelay true', 'max_queued_messages 20000'];

/** The listeners' settings; deploy/mosquitto/quancun.conf holds the same lines (a test compares them). */
export function secureListenerLines(port: number, host: string | undefined, f: SecureBrokerFiles): string[] {
  const tls = [`cafile ${f.caFile}`, `certfile ${f.certFile}`, `keyfile ${f.keyFile}`];
  const listener = (p: number) => (host ? `listener ${p} ${host}` : `listener ${p}`);
  return [
    'per_listener_settings true',
    listener(port),
    ...tls,
    'require_certificate true',
    'use_identity_as_username true',
    'use_username_as_clientid true',
    `acl_file ${f.aclFile}`,
    ...(f.provisioning ? [
      listener(f.provisioning.port),
      ...tls,
      'require_certificate false',
      'allow_anonymous false',
      'use_username_as_clientid true',
      `password_file ${f.provisioning.passwordFile}`,
      `acl_file ${f.provisioning.aclFile}`,
    ] : []),
  ];
}

export async function launchMosquitto(port: number, options: { detached?: boolean; secure?: SecureBrokerFiles } = {}): Promise<ChildProcess> {
  const { secure } = options;
  const config = [
    ...(secure ? secureListenerLines(port, '127.0.0.1', secure) : [`listener ${port} 127.0.0.1`, 'allow_anonymous true']),
    ...BROKER_SETTINGS,
    'persistence false',
    'log_dest stderr', // unbuffered: stdout to a pipe is not flushed
    'log_type error',
    'log_type warning',
    'log_type notice',
    'log_type information',
  ].join('\n');
  if (secure) await readableByBroker([secure.caFile, secure.certFile, secure.keyFile, secure.aclFile,
    ...(secure.provisioning ? [secure.provisioning.passwordFile, secure.provisioning.aclFile] : [])]);
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

/** Started as root, Mosquitto drops to its own user before it reads certificates and keys: give them to that user. */
async function readableByBroker(files: string[]): Promise<void> {
  if (process.getuid?.() !== 0) return;
  const entry = (await readFile('/etc/passwd', 'utf8')).split('\n').find((line) => line.startsWith('mosquitto:'));
  if (!entry) return;
  const [, , uid, gid] = entry.split(':');
  await Promise.all(files.map((f) => chown(f, Number(uid), Number(gid))));
}
