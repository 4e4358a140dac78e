/**
 * The kiosk's key pair, made on the board (ECDSA P-256, Node's WebCrypto) and never sent: the private key goes to a
 * file of mode 0600, only the PKCS#10 request (subject CN = kiosk id, serialNumber = board serial, signed with the
 * key) leaves the board.
 */
import { webcrypto } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { x509 } from '../common/crypto/x509.ts';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
/** X.520 serialNumber, the attribute the gateway binds the board serial with. */
const SERIAL_NUMBER_OID = '2.5.4.5';

export interface BoardKey {
  /** PEM of the certificate request. */
  csr: string;
}

/** Makes the key pair, writes its private half (PKCS#8 PEM, 0600) to `keyPath`, and returns the CSR. */
export async function makeBoardKey(keyPath: string, subject: { kioskId: string; boardSerial: string }): Promise<BoardKey> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  await writeFile(keyPath, pem('PRIVATE KEY', pkcs8), { mode: 0o600, flag: 'wx' });
  pkcs8.fill(0);
  const request = await x509.Pkcs10CertificateRequestGenerator.create({
    name: [{ CN: [subject.kioskId] }, { [SERIAL_NUMBER_OID]: [subject.boardSerial] }],
    keys,
    signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
  });
  return { csr: request.toString('pem') };
}

function pem(label: string, der: Buffer): string {
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.join('\n')}\n-----END ${label}-----\n`;
}
