/**
 * The campus CA: a certificate and its key in a folder (`ca.crt`, `ca.key` 0600), created here (ECDSA P-256,
 * self-signed, 20 years) or imported. It issues the broker's server certificate, client certificates for the gateway
 * and operators (their keys made here), and kiosk certificates from a CSR whose key was made on the board.
 */
import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, webcrypto, type KeyObject } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { x509 } from '../../common/crypto/x509.ts';

const CA_YEARS = 20;
/** Kiosk, broker, gateway and operator certificates: renewed by enrolling again or issuing again. */
export const LEAF_DAYS = 730;
const DAY_MS = 86_400_000;

/** OID of the X.520 serialNumber attribute: the board serial in a kiosk certificate's subject. */
const SERIAL_NUMBER = '2.5.4.5';

export interface IssuedFiles {
  keyPem: string;
  certPem: string;
}

export interface KioskCertificate {
  certPem: string;
  /** Lowercase hex, as openssl shows it without colons. */
  serial: string;
  /** SHA-256 of the DER, uppercase hex. */
  fingerprint: string;
  notAfter: Date;
}

const invalid = (message: string) => new QuancunError('CONFIG_INVALID', message);

export class CampusCa {
  private constructor(
    readonly dir: string,
    readonly cert: x509.X509Certificate,
    readonly certPem: string,
    private readonly key: CryptoKey,
    private readonly algorithm: EcdsaParams & { namedCurve?: string } | RsaHashedImportParams,
  ) {}

  static certPath = (dir: string) => join(dir, 'ca.crt');
  static keyPath = (dir: string) => join(dir, 'ca.key');

  /** A new campus CA in `dir`; an existing one is never replaced. */
  static async create(dir: string, name: string, now = new Date()): Promise<CampusCa> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const ca = await CampusCa.#fromKey(dir, privateKey);
    const extensions = [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(spki(publicKey)),
    ];
    const notAfter = new Date(now);
    notAfter.setUTCFullYear(now.getUTCFullYear() + CA_YEARS);
    const cert = await x509.X509CertificateGenerator.create({
      subject: [{ CN: [name] }], issuer: [{ CN: [name] }], notBefore: now, notAfter, publicKey: spki(publicKey),
      signingKey: ca.key, signingAlgorithm: ca.algorithm, extensions,
    });
    return CampusCa.#store(dir, pemText(cert), privateKey);
  }

  /** An existing CA's certificate and key (PEM); the key must be the certificate's, the certificate a CA's. */
  static async import(dir: string, certPem: string, keyPem: string): Promise<CampusCa> {
    let cert: x509.X509Certificate;
    let key: KeyObject;
    try {
      cert = new x509.X509Certificate(certPem);
    } catch (err) {
      throw invalid(`the CA certificate is not a PEM certificate: ${(err as Error).message}`);
    }
    try {
      key = createPrivateKey(keyPem);
    } catch (err) {
      throw invalid(`the CA key is not a PEM private key: ${(err as Error).message}`);
    }
    if (!Buffer.from(cert.publicKey.rawData).equals(Buffer.from(spki(createPublicKey(key)).rawData))) throw invalid('the CA key does not belong to the CA certificate');
    if (!cert.getExtension(x509.BasicConstraintsExtension)?.ca) throw invalid('the certificate is not a CA certificate (basicConstraints CA:TRUE)');
    await CampusCa.#fromKey(dir, key);
    return CampusCa.#store(dir, pemText(cert), key);
  }

  /** The CA in `dir`; none there is CONFIG_INVALID saying how to make one. */
  static async open(dir: string): Promise<CampusCa> {
    if (!existsSync(CampusCa.certPath(dir)) || !existsSync(CampusCa.keyPath(dir))) {
      throw invalid(`no campus CA in ${dir}: create one with \`quancun ca init\` or import one with \`quancun ca import\``);
    }
    const certPem = await readFile(CampusCa.certPath(dir), 'utf8');
    const ca = await CampusCa.#fromKey(dir, createPrivateKey(await readFile(CampusCa.keyPath(dir), 'utf8')));
    return new CampusCa(dir, new x509.X509Certificate(certPem), certPem, ca.key, ca.algorithm);
  }

  static async #store(dir: string, certPem: string, key: KeyObject): Promise<CampusCa> {
    if (existsSync(CampusCa.certPath(dir)) || existsSync(CampusCa.keyPath(dir))) throw invalid(`${dir} already holds a campus CA; it is never replaced`);
    await mkdir(dir, { recursive: true, mode: 0o700 });
    await writeFile(CampusCa.keyPath(dir), key.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
    await writeFile(CampusCa.certPath(dir), certPem, { flag: 'wx', mode: 0o644 });
    return CampusCa.open(dir);
  }

  /** The signing side of a key: ECDSA on P-256 or P-384 with the curve's hash, RSA with SHA-256. */
  static async #fromKey(dir: string, key: KeyObject): Promise<{ key: CryptoKey; algorithm: CampusCa['algorithm'] }> {
    const curve = key.asymmetricKeyDetails?.namedCurve;
    const algorithm = key.asymmetricKeyType === 'rsa' ? { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' }
      : key.asymmetricKeyType === 'ec' && curve === 'prime256v1' ? { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' }
      : key.asymmetricKeyType === 'ec' && curve === 'secp384r1' ? { name: 'ECDSA', namedCurve: 'P-384', hash: 'SHA-384' }
      : undefined;
    if (!algorithm) throw invalid(`the CA key in ${dir} must be ECDSA P-256 or P-384, or RSA; it is ${key.asymmetricKeyType} ${curve ?? ''}`.trim());
    const der = key.export({ type: 'pkcs8', format: 'der' });
    return { key: await webcrypto.subtle.importKey('pkcs8', der, algorithm, false, ['sign']) as CryptoKey, algorithm };
  }

  /** SHA-256 of the CA certificate's DER, uppercase hex: what a board pins before it trusts the broker. */
  get fingerprint(): string {
    return derFingerprint(this.cert);
  }

  /** The broker's certificate: CN = the host, every host name and address in subjectAltName, serverAuth. */
  async issueServer(host: string, altNames: string[], now = new Date()): Promise<IssuedFiles> {
    const names = [...new Set([host, ...altNames])].map((n) => ({ type: isIP(n) ? 'ip' as const : 'dns' as const, value: n }));
    return this.#issueWithNewKey(host, x509.ExtendedKeyUsage.serverAuth, now, [new x509.SubjectAlternativeNameExtension(names)]);
  }

  /** A client certificate (the gateway's `gateway.<name>`, an operator's `operator.<name>`): clientAuth. */
  issueClient(commonName: string, now = new Date()): Promise<IssuedFiles> {
    return this.#issueWithNewKey(commonName, x509.ExtendedKeyUsage.clientAuth, now);
  }

  async #issueWithNewKey(commonName: string, usage: x509.ExtendedKeyUsage, now: Date, extra: x509.Extension[] = []): Promise<IssuedFiles> {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const cert = await this.#sign([{ CN: [commonName] }], spki(publicKey), usage, now, extra);
    return { keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, certPem: pemText(cert) };
  }

  /**
   * A kiosk's certificate for the key in its CSR: subject CN = kiosk id, serialNumber = board serial (the CSR's own
   * subject is ignored), clientAuth. A CSR that does not parse, whose signature does not verify or whose key is not
   * ECDSA P-256/P-384 or RSA of 2048 bits or more is ENROL_CSR_INVALID.
   */
  async signKioskCsr(csrPem: string, kioskId: string, boardSerial: string, now = new Date()): Promise<KioskCertificate> {
    const publicKey = await verifiedCsrKey(csrPem);
    const cert = await this.#sign([{ CN: [kioskId] }, { [SERIAL_NUMBER]: [boardSerial] }], publicKey, x509.ExtendedKeyUsage.clientAuth, now);
    return {
      certPem: pemText(cert),
      serial: cert.serialNumber.toLowerCase(),
      fingerprint: derFingerprint(cert),
      notAfter: cert.notAfter,
    };
  }

  async #sign(subject: x509.JsonName, publicKey: x509.PublicKey, usage: x509.ExtendedKeyUsage, now: Date, extra: x509.Extension[] = []): Promise<x509.X509Certificate> {
    return x509.X509CertificateGenerator.create({
      subject, issuer: this.cert.subjectName, publicKey, signingKey: this.key, signingAlgorithm: this.algorithm,
      notBefore: now, notAfter: new Date(now.getTime() + LEAF_DAYS * DAY_MS),
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
        new x509.ExtendedKeyUsageExtension([usage]),
        await x509.SubjectKeyIdentifierExtension.create(publicKey),
        await x509.AuthorityKeyIdentifierExtension.create(this.cert.publicKey),
        ...extra,
      ],
    });
  }
}

function spki(key: KeyObject): x509.PublicKey {
  return new x509.PublicKey(new Uint8Array(key.export({ type: 'spki', format: 'der' })));
}

async function verifiedCsrKey(csrPem: string): Promise<x509.PublicKey> {
  const refuse = (why: string) => new QuancunError('ENROL_CSR_INVALID', `the certificate request ${why}`);
  let csr: x509.Pkcs10CertificateRequest;
  let verified: boolean;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
    verified = await csr.verify();
  } catch {
    throw refuse('is not a PKCS#10 request this CA can read');
  }
  if (!verified) throw refuse('has a signature that does not verify');
  const key = createPublicKey({ key: Buffer.from(csr.publicKey.rawData), format: 'der', type: 'spki' });
  const curve = key.asymmetricKeyDetails?.namedCurve;
  const fits = key.asymmetricKeyType === 'ec' ? curve === 'prime256v1' || curve === 'secp384r1'
    : key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048;
  if (!fits) throw refuse('carries a key this campus does not take (ECDSA P-256 or P-384, or RSA of 2048 bits or more)');
  return spki(key);
}

/** A certificate as PEM text ending in a newline, as openssl writes it, so PEM files can be concatenated into a chain. */
function pemText(cert: x509.X509Certificate): string {
  return `${cert.toString('pem').trimEnd()}\n`;
}

/** SHA-256 of a certificate's DER, uppercase hex (common/mqtt/tls-files.ts certificateFingerprint, for this library's certificates). */
function derFingerprint(cert: x509.X509Certificate): string {
  return createHash('sha256').update(Buffer.from(cert.rawData)).digest('hex').toUpperCase();
}
