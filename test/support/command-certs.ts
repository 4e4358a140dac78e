/**
 * Certificates for remote-command tests, made with the openssl CLI (independent of our code): a campus CA, a
 * gateway.<x> and an operator.<x> signer it issued, a kiosk-like CN it issued (not a signer), and an outsider CA with
 * a gateway.<x> signer of its own.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { ExecutionContext } from 'ava';
import type { CommandSigner } from '../../gateway/commands/command-sender.ts';
import { tempDir } from './temp-dir.ts';

const run = promisify(execFile);

export interface CommandCerts {
  /** The campus CA certificate file: the kiosk's commands.trustedCa. */
  caPath: string;
  gateway: CommandSigner;
  operator: CommandSigner;
  /** Issued by the campus CA, but CN K002: a kiosk, not a signer. */
  kiosk: CommandSigner;
  /** CN gateway.outsider, issued by another CA. */
  outsider: CommandSigner;
  /** Files of the operator signer, for the CLI. */
  operatorFiles: { key: string; cert: string };
}

async function openssl(dir: string, ...args: string[]): Promise<void> {
  await run('openssl', args, { cwd: dir });
}

async function makeCa(dir: string, name: string, cn: string): Promise<void> {
  await openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  // openssl req -x509 marks it CA:TRUE (critical) from its default v3_ca section.
  await openssl(dir, 'req', '-x509', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}`, '-days', '30', '-out', `${name}.pem`);
}

async function issue(dir: string, ca: string, name: string, cn: string): Promise<CommandSigner> {
  await openssl(dir, 'genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`);
  await openssl(dir, 'req', '-new', '-key', `${name}.key`, '-subj', `/CN=${cn}/O=Test Campus`, '-out', `${name}.csr`);
  await openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-days', '30', '-out', `${name}.pem`);
  return { keyPem: readFileSync(join(dir, `${name}.key`), 'utf8'), certificatePem: readFileSync(join(dir, `${name}.pem`), 'utf8') };
}

export async function makeCommandCerts(t: ExecutionContext): Promise<CommandCerts> {
  const dir = await tempDir(t, 'quancun-certs-');
  await makeCa(dir, 'campus-ca', 'Test Campus CA');
  await makeCa(dir, 'outsider-ca', 'Outsider CA');
  return {
    caPath: join(dir, 'campus-ca.pem'),
    gateway: await issue(dir, 'campus-ca', 'gateway', 'gateway.test'),
    operator: await issue(dir, 'campus-ca', 'operator', 'operator.alice'),
    kiosk: await issue(dir, 'campus-ca', 'kiosk', 'K002'),
    outsider: await issue(dir, 'outsider-ca', 'outsider', 'gateway.outsider'),
    operatorFiles: { key: join(dir, 'operator.key'), cert: join(dir, 'operator.pem') },
  };
}
