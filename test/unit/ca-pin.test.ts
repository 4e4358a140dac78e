/**
 * Pinning the campus CA from a broker's TLS chain, against a loopback TLS server whose certificates openssl made
 * (test/support/test-pki.ts): the fingerprint is openssl's, the code under test only compares.
 */
import test from 'ava';
import { X509Certificate } from 'node:crypto';
import { once } from 'node:events';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { QuancunError } from '../../common/errors.ts';
import { pinCampusCa } from '../../provisioning/ca-pin.ts';
import { readFileSync } from 'node:fs';
import { makePki } from '../support/test-pki.ts';

async function tlsServer(t: import('ava').ExecutionContext, key: string, cert: string): Promise<number> {
  const server = tls.createServer({ key, cert }, (socket) => socket.end());
  server.on('tlsClientError', () => {});
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

test('the CA whose fingerprint the code gives is taken from the chain the broker presents', async (t) => {
  const ca = await makePki(t);
  const port = await tlsServer(t, readFileSync(ca.broker.key, 'utf8'), readFileSync(ca.broker.cert, 'utf8'));
  const pem = await pinCampusCa('127.0.0.1', port, ca.fingerprint);
  t.is(new X509Certificate(pem).fingerprint256.replace(/:/g, ''), ca.fingerprint);
  t.is(new X509Certificate(pem).subject, 'CN=Test Campus CA');
});

test('a broker that does not present that CA is refused with ENROL_CA_MISMATCH', async (t) => {
  const campus = await makePki(t);
  const rogue = await makePki(t, 'Rogue CA');
  const port = await tlsServer(t, readFileSync(rogue.broker.key, 'utf8'), readFileSync(rogue.broker.cert, 'utf8'));
  const err = await t.throwsAsync(pinCampusCa('127.0.0.1', port, campus.fingerprint), { instanceOf: QuancunError });
  t.is(err?.code, 'ENROL_CA_MISMATCH');
  t.regex(err!.message, /presented "CN=broker", "CN=Rogue CA"/);
  // the right CA signed it, but the broker sends its own certificate alone: nothing to pin from
  const port2 = await tlsServer(t, readFileSync(campus.broker.key, 'utf8'), readFileSync(campus.broker.leaf, 'utf8'));
  t.is((await t.throwsAsync(pinCampusCa('127.0.0.1', port2, campus.fingerprint), { instanceOf: QuancunError }))?.code, 'ENROL_CA_MISMATCH');
});

test('nothing listening is LINK_OFFLINE', async (t) => {
  t.is((await t.throwsAsync(pinCampusCa('127.0.0.1', 9, 'A'.repeat(64)), { instanceOf: QuancunError }))?.code, 'LINK_OFFLINE');
});
