/**
 * A pad's transport key from the campus pad transport master key and its serial (common/crypto/pad-keys.ts), PBOC
 * diversification of the first 8 bytes of SHA-256(serial), against openssl:
 *   D = printf PAD-0001 | openssl dgst -sha256 -binary | head -c 8
 *   left  = D under 404142434445464748494A4B4C4D4E4F (openssl enc -des-ede -nopad)
 *   right = D with every bit flipped, under the same key
 *   -> 149376684457B33752ECA18A3F060A4A
 */
import test from 'ava';
import { padTransportKey } from '../../common/crypto/pad-keys.ts';

test('the transport key is the PBOC diversification of SHA-256(serial) under the master key', (t) => {
  const tk = padTransportKey(Buffer.from('404142434445464748494A4B4C4D4E4F', 'hex'), 'PAD-0001');
  t.is(tk.toString('hex').toUpperCase(), '149376684457B33752ECA18A3F060A4A');
  t.throws(() => padTransportKey(Buffer.alloc(16), 'a serial too long!'), { instanceOf: RangeError });
});
