/**
 * Trust on first use, made safe by the enrolment code: before the board sends its code or CSR it opens a TLS
 * connection to the broker without verifying it, walks the certificate chain the broker presents, and keeps the
 * certificate whose SHA-256 fingerprint is the one printed with the code. Only that certificate is then trusted (as
 * the `ca` of a verifying connection). A broker that does not present it is refused: ENROL_CA_MISMATCH.
 * The broker must send the campus CA in its chain (Mosquitto: `certfile` holds the server certificate, then the CA's).
 */
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import { certificateFingerprint } from '../common/mqtt/tls-files.ts';
import { QuancunError } from '../common/errors.ts';

/** The PEM of the campus CA, taken from the broker's chain at `host:port` and checked against `fingerprint`. */
export async function pinCampusCa(host: string, port: number, fingerprint: string, timeoutMs = 10_000): Promise<string> {
  const socket = tls.connect({ host, port, servername: isIpLiteral(host) ? undefined : host, rejectUnauthorized: false, timeout: timeoutMs });
  try {
    await Promise.race([
      once(socket, 'secureConnect'),
      once(socket, 'timeout').then(() => Promise.reject(new Error(`no TLS answer within ${timeoutMs} ms`))),
    ]);
  } catch (err) {
    socket.destroy();
    throw new QuancunError('LINK_OFFLINE', `cannot reach the broker at ${host}:${port} over TLS: ${(err as Error).message}`, { host, port }, { cause: err });
  }
  const chain: X509Certificate[] = [];
  const seen = new Set<string>();
  for (let c = socket.getPeerCertificate(true); c?.raw && !seen.has(c.fingerprint256); c = c.issuerCertificate) {
    seen.add(c.fingerprint256);
    chain.push(new X509Certificate(c.raw));
  }
  socket.destroy();
  const want = fingerprint.toUpperCase();
  const ca = chain.find((c) => certificateFingerprint(c) === want);
  if (!ca) {
    throw new QuancunError('ENROL_CA_MISMATCH', `the broker at ${host}:${port} did not present the campus CA of the enrolment code `
      + `(${want.slice(0, 16)}…); it presented ${chain.map((c) => `"${c.subject.replace(/\n/g, ', ')}"`).join(', ') || 'no certificate'}`, { host, port });
  }
  if (!ca.ca) throw new QuancunError('ENROL_CA_MISMATCH', `the certificate with the pinned fingerprint is not a CA certificate (${ca.subject})`, { host, port });
  return ca.toString();
}

function isIpLiteral(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
