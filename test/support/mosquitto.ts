/**
 * A private Mosquitto per call, on a free loopback port, as deployed (TCP_NODELAY on, no persistence).
 * Missing mosquitto is a failure naming the Debian package, never a skip.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { once } from 'node:events';
import { execFileSync } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TestBroker } from './brokers.ts';
import type { Pki } from './test-pki.ts';
import { launchMosquitto, MOSQUITTO, type SecureBrokerFiles } from '../../sim/broker/mosquitto-process.ts';
import { freePort } from '../../sim/network/free-port.ts';
import { mosquittoAcl, mosquittoProvisioningAcl, type AclParties } from '../../common/api/access.ts';


/** Brokers still running when the test process exits are killed with it. */
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function startMosquitto(): Promise<TestBroker> {
  return start(await freePort());
}

/** Where the broker's certificates are: the test's openssl PKI (test-pki.ts) or a campus CA's issued files. */
export interface BrokerCertificates {
  dir: string;
  ca: string;
  broker: Pick<Pki['broker'], 'cert' | 'key'>;
}

export interface SecureTestBroker extends TestBroker {
  /** The ACL file of the mutual-TLS listener, and the command that makes the broker read it again (SIGHUP). */
  aclFile: string;
  reloadCommand(): string[];
  /** mqtts:// of the mutual-TLS listener. */
  url: string;
  /** mqtts:// of the provisioning listener, an installer's account and password. */
  provisioning: { url: string; username: string; password: string };
  /** Rewrites the ACL file for these parties and tells Mosquitto to reload it (SIGHUP): no restart. */
  setParties(parties: AclParties): Promise<void>;
}

/** The installer account of the secure test broker's provisioning listener. */
export const INSTALLER = 'installer.test';

/** Mosquitto as deploy/mosquitto/ sets it up, with the test's certificates and the ACL for `parties`. */
export async function startSecureMosquitto(pki: BrokerCertificates, parties: AclParties): Promise<SecureTestBroker> {
  const [port, provisioningPort] = [await freePort(), await freePort()];
  const files: SecureBrokerFiles = {
    caFile: pki.ca, certFile: pki.broker.cert, keyFile: pki.broker.key, aclFile: join(pki.dir, 'broker.acl'),
    provisioning: { port: provisioningPort, passwordFile: join(pki.dir, 'provision.passwd'), aclFile: join(pki.dir, 'provision.acl') },
  };
  const password = 'installer-secret';
  execFileSync('mosquitto_passwd', ['-c', '-b', files.provisioning!.passwordFile, INSTALLER, password]);
  await writeFile(files.provisioning!.aclFile, mosquittoProvisioningAcl());
  await writeFile(files.aclFile, mosquittoAcl(parties));
  const broker = await start(port, files);
  return {
    ...broker,
    url: `mqtts://127.0.0.1:${port}`,
    aclFile: files.aclFile,
    reloadCommand: () => ['kill', '-HUP', String(broker.pid())],
    provisioning: { url: `mqtts://127.0.0.1:${provisioningPort}`, username: INSTALLER, password },
    async setParties(next) {
      await writeFile(files.aclFile, mosquittoAcl(next));
      broker.reload();
    },
  };
}

async function start(port: number, secure?: SecureBrokerFiles): Promise<TestBroker & { reload(): void; pid(): number | undefined }> {
  if (!existsSync(MOSQUITTO)) {
    throw new Error(`${MOSQUITTO} not found: install the Debian package "mosquitto" (apt-get install mosquitto)`);
  }
  const launch = async (p: number) => {
    const child = await launchMosquitto(p, secure ? { secure } : {});
    running.add(child);
    child.once('exit', () => running.delete(child));
    return child;
  };
  let child: ChildProcess | undefined = await launch(port);
  const halt = async (signal: NodeJS.Signals) => {
    if (child) await kill(child, signal);
    child = undefined;
  };
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    stop: () => halt('SIGTERM'),
    /** Kills the broker as a crash would (SIGKILL, if running) and starts a fresh one on the same port. */
    async restart() {
      await halt('SIGKILL');
      child = await launch(port);
    },
    reload: () => child?.kill('SIGHUP'),
    pid: () => child?.pid,
  };
}


async function kill(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill(signal);
  await exited;
}
