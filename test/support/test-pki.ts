/**
 * Certificates for a test, made by the openssl CLI (not by our campus CA): a CA, the broker's server certificate for
 * 127.0.0.1, and client certificates (and command signers) by CN. ECDSA P-256, as the campus CA issues them.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';
import { tempDir } from './temp-dir.ts';

export interface Pki {
  dir: string;
  /** The CA certificate file, and its SHA-256 fingerprint as openssl prints it (64 hex, no colons). */
  ca: string;
  fingerprint: string;
  /** The broker's certificate chain (its certificate, then the CA), its certificate alone, and its key. */
  broker: { cert: string; leaf: string; key: string };
  /** A client certificate with this CN, issued by this CA (made once per CN): file paths. */
  client(cn: string): { ca: string; cert: string; key: string };
  /** The same as PEM texts, as a command signer holds them. */
  signer(cn: string): { keyPem: string; certificatePem: string };
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });
const newKey = (name: string) => ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`];

export async function makePki(t: ExecutionContext, name = 'Test Campus CA'): Promise<Pki> {
  const dir = await tempDir(t, 'quancun-pki-');
  await chmod(dir, 0o755); // Mosquitto reads the broker's files as its own user
  openssl(['req', '-x509', ...newKey('ca'), '-out', 'ca.crt', '-subj', `/CN=${name}`, '-days', '30'], dir);
  const sign = (cn: string, ext: string) => {
    openssl(['req', ...newKey(cn), '-out', `${cn}.csr`, '-subj', `/CN=${cn}`], dir);
    execFileSync('sh', ['-c', `printf '%s\\n' "$1" > ${cn}.ext`, 'sh', ext], { cwd: dir });
    openssl(['x509', '-req', '-in', `${cn}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', `${cn}.crt`, '-days', '30', '-extfile', `${cn}.ext`], dir);
  };
  sign('broker', 'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth');
  await writeFile(join(dir, 'broker-chain.crt'), Buffer.concat([await readFile(join(dir, 'broker.crt')), await readFile(join(dir, 'ca.crt'))]));
  const made = new Set<string>();
  const client = (cn: string) => {
    if (!made.has(cn)) sign(cn, 'extendedKeyUsage=clientAuth');
    made.add(cn);
    return { ca: join(dir, 'ca.crt'), cert: join(dir, `${cn}.crt`), key: join(dir, `${cn}.key`) };
  };
  return {
    dir,
    ca: join(dir, 'ca.crt'),
    fingerprint: openssl(['x509', '-in', 'ca.crt', '-noout', '-fingerprint', '-sha256'], dir).trim().split('=')[1]!.replace(/:/g, ''),
    broker: { cert: join(dir, 'broker-chain.crt'), leaf: join(dir, 'broker.crt'), key: join(dir, 'broker.key') },
    client,
    signer(cn) {
      const files = client(cn);
      return { keyPem: readFileSync(files.key, 'utf8'), certificatePem: readFileSync(files.cert, 'utf8') };
    },
  };
}
