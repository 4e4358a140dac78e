/** The openssl CLI, the independent judge of what the campus CA issues, and CSRs made the way a board could make them. */
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

export async function openssl(...args: string[]): Promise<string> {
  const { stdout } = await promisify(execFile)('openssl', args);
  return stdout;
}

/** A P-256 key and a CSR for it in `dir` (its own subject, which the CA ignores); the CSR's PEM. */
export async function opensslCsr(dir: string, name = 'board'): Promise<string> {
  const csr = join(dir, `${name}.csr`);
  await openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(dir, `${name}.key`),
    '-subj', '/CN=whatever the board says', '-out', csr);
  return readFile(csr, 'utf8');
}

/** The same CSR with the last byte of its signature changed: it parses, its signature does not verify. */
export function brokenSignature(csrPem: string): string {
  const der = Buffer.from(csrPem.replace(/-----[A-Z ]+-----/g, '').replace(/\s/g, ''), 'base64');
  der[der.length - 1]! ^= 0x01;
  const lines = der.toString('base64').match(/.{1,64}/g)!.join('\n');
  return `-----BEGIN CERTIFICATE REQUEST-----\n${lines}\n-----END CERTIFICATE REQUEST-----\n`;
}
