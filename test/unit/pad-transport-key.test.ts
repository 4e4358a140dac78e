/**
 * A pad's transport key from the campus pad transport master key and its serial, against openssl:
 *   printf PAD-0001 | openssl dgst -sha256 -binary | head -c 16 | openssl enc -des-ede -nopad -K 404142434445464748494A4B4C4D4E4F
 *   -> 149376684457b33753de961cbe43357f
 */
import test from 'ava';
import { padTransportKey } from '../../common/crypto/pad-transport-key.ts';

test('the transport key is the first 16 bytes of SHA-256(serial) under the master key, 3DES-ECB', (t) => {
  const tk = padTransportKey(Buffer.from('404142434445464748494A4B4C4D4E4F', 'hex'), 'PAD-0001');
  t.is(tk.toString('hex').toUpperCase(), '149376684457B33753DE961CBE43357F');
});
