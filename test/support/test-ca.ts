/**
 * A campus CA for tests, made and used with the openssl CLI (not with the code under test): its certificate, its
 * SHA-256 fingerprint as `openssl x509 -fingerprint -sha256` prints it, CSRs signed as a CA would, and a server
 * certificate for a loopback TLS listener.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCa {
  dir: string;
  certPath: string;
  keyPath: string;
  pem: string;
  /** 64 uppercase hex digits. */
  fingerprint: string;
}

const openssl = (args: string[], input?: string) => execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });

export function makeTestCa(dir: string, name = 'Test Campus CA'): TestCa {
  const keyPath = join(dir, `${name.replace(/\W/g, '')}.key`);
  const certPath = join(dir, `${name.replace(/\W/g, '')}.crt`);
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', certPath,
    '-days', '2', '-subj', `/CN=${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  const fingerprint = openssl(['x509', '-in', certPath, '-noout', '-fingerprint', '-sha256']).trim().split('=')[1]!.replace(/:/g, '');
  return { dir, certPath, keyPath, pem: readFileSync(certPath, 'utf8'), fingerprint };
}

/** Signs a CSR keeping its subject, as the campus CA does for a kiosk. */
export function signCsr(ca: TestCa, csrPem: string): string {
  return openssl(['x509', '-req', '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', '1', '-days', '1'], csrPem);
}

/** A server certificate and key for `cn`, signed by the CA; `chain` is the certificate followed by the CA's. */
export function serverCertificate(ca: TestCa, cn: string): { key: string; cert: string; chain: string } {
  const keyPath = join(ca.dir, `${cn}.key`);
  const csrPath = join(ca.dir, `${cn}.csr`);
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPath, '-out', csrPath, '-subj', `/CN=${cn}`]);
  const ext = join(ca.dir, `${cn}.ext`);
  writeFileSync(ext, `subjectAltName=IP:127.0.0.1,DNS:${cn}\n`);
  const cert = openssl(['x509', '-req', '-in', csrPath, '-CA', ca.certPath, '-CAkey', ca.keyPath, '-set_serial', '2', '-days', '1', '-extfile', ext]);
  return { key: readFileSync(keyPath, 'utf8'), cert, chain: `${cert}${ca.pem}` };
}

export function certificateSubject(pem: string): string {
  return openssl(['x509', '-noout', '-subject', '-nameopt', 'RFC2253'], pem).trim();
}
