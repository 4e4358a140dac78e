/**
 * A process's TLS identity on the broker, from the files its config names (`mqtt.tls`: the campus CA chain, its
 * certificate and its key). Checked when the config is loaded, before anything connects: a missing file, a key that
 * is not the certificate's, a certificate the CA did not issue or one out of its validity is CONFIG_INVALID naming
 * the files, rather than a TLS alert at the first connect.
 */
import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { dirname, resolve } from 'node:path';
import { z } from 'zod';
import { readConfigFile } from '../config-errors.ts';
import { QuancunError } from '../errors.ts';

export const tlsFilesSchema = z.object({
  /** The campus CA certificate(s), PEM: the broker's certificate must chain to it. */
  ca: z.string().min(1),
  /** This process's certificate, PEM; its CN is its identity on the broker. */
  cert: z.string().min(1),
  /** The certificate's private key, PEM. */
  key: z.string().min(1),
}).strict();

export type TlsFiles = z.infer<typeof tlsFilesSchema>;

export interface TlsMaterial {
  ca: Buffer;
  cert: Buffer;
  key: Buffer;
  /** The certificate's CN. */
  identity: string;
  /** When the certificate stops being valid. */
  validTo: Date;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** Reads and cross-checks the files; `configPath` is the file naming them (paths are relative to its folder). */
export function loadTlsFiles(files: TlsFiles, configPath: string, now = new Date()): TlsMaterial {
  const at = (key: keyof TlsFiles) => resolve(dirname(configPath), files[key]);
  const invalid = (message: string) => new QuancunError('CONFIG_INVALID', `${configPath}: ${message}`, { path: configPath });
  const read = (key: keyof TlsFiles): Buffer => readConfigFile(configPath, `mqtt.tls.${key}`, files[key]);
  const parse = <T>(key: keyof TlsFiles, what: string, fn: () => T): T => {
    try {
      return fn();
    } catch {
      throw invalid(`mqtt.tls.${key}: ${at(key)} is not ${what}`);
    }
  };
  const ca = read('ca');
  const cert = read('cert');
  const key = read('key');
  const authorities = parse('ca', 'a PEM certificate', () => {
    const blocks = ca.toString('latin1').match(PEM_CERT);
    if (!blocks) throw new Error('no certificate');
    return blocks.map((b) => new X509Certificate(b));
  });
  const certificate = parse('cert', 'a PEM certificate', () => new X509Certificate(cert));
  const privateKey: KeyObject = parse('key', 'a PEM private key', () => createPrivateKey(key));
  if (!certificate.checkPrivateKey(privateKey)) {
    throw invalid(`mqtt.tls.key: ${at('key')} is not the key of mqtt.tls.cert ${at('cert')}`);
  }
  if (!authorities.some((a) => certificate.checkIssued(a) && certificate.verify(a.publicKey))) {
    throw invalid(`mqtt.tls.cert: ${at('cert')} was not issued by mqtt.tls.ca ${at('ca')}`);
  }
  const validTo = new Date(certificate.validTo);
  if (now < new Date(certificate.validFrom) || now > validTo) {
    throw invalid(`mqtt.tls.cert: ${at('cert')} is valid only from ${certificate.validFrom} to ${certificate.validTo}`);
  }
  const identity = commonName(certificate);
  if (!identity) throw invalid(`mqtt.tls.cert: ${at('cert')} has no CN`);
  return { ca, cert, key, identity, validTo };
}

/** SHA-256 of the certificate's DER, 64 uppercase hex digits: how the campus CA is pinned (`quancun ca code`'s QR). */
export function certificateFingerprint(cert: X509Certificate): string {
  return cert.fingerprint256.replace(/:/g, '');
}

/** The CN of a certificate's subject (Node prints the subject as `KEY=value` lines). */
export function commonName(cert: X509Certificate): string | undefined {
  return cert.subject.split('\n').find((line) => line.startsWith('CN='))?.slice(3);
}
