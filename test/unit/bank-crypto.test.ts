/**
 * Bank-side crypto against vectors computed independently with openssl on the command line. Single DES is run as
 * `openssl enc -des-ede3 -K <k|k|k> -nopad`, two-key 3DES as `-K <k1|k2|k1>`; XORs of blocks were done by hand.
 */
import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { unionpayEcbMac, x919Mac } from '../../common/crypto/mac.ts';
import { encryptPinBlock, pan12FromPan, pinBlockFormat0, translatePinBlock, verifyPinBlock } from '../../common/crypto/pin-block.ts';
import { keyCheckValue } from '../../common/crypto/key-check.ts';
import { BankKeys } from '../../gateway/bank/bank-keys.ts';

const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');
const K8 = hex('0123456789ABCDEF');
const K16 = hex('0123456789ABCDEF FEDCBA9876543210');
/** "1234567890ABCDEFGHIJ", 20 bytes: padded with 4 zero bytes to 3 blocks. */
const DATA = Buffer.from('1234567890ABCDEFGHIJ', 'ascii');

test('UnionPay ECB MAC, single-length MAK', (t) => {
  // XOR of the blocks 3132333435363738 ^ 3930414243444546 ^ 4748494A00000000 = 4F4A3B3C7672727E
  // hex-expanded: "4F4A3B3C" "7672727E" = 3446344133423343 3736373237323745
  // E(K, 3446344133423343) = 56EB5FCD5DB1B7A4; ^ 3736373237323745 = 61DD68FF6A8380E1
  // E(K, 61DD68FF6A8380E1) = D863608BEF989361 -> first 8 hex characters "D863608B"
  t.deepEqual(unionpayEcbMac(K8, DATA), Buffer.from('D863608B', 'ascii'));
});

test('UnionPay ECB MAC, double-length MAK (3DES steps)', (t) => {
  // E(K16, 3446344133423343) = 9C4C48F478029879; ^ 3736373237323745 = AB7A7FC64F30AF3C; E(K16, ..) = 4C59BAF9BCF1A513
  t.deepEqual(unionpayEcbMac(K16, DATA), Buffer.from('4C59BAF9', 'ascii'));
});

test('ANSI X9.19 MAC', (t) => {
  // openssl enc -des-ede3-cbc -K KL|KL|KL -iv 0 -nopad over the padded data: last block 97562EEB478AD0E5
  // D(KR, 97562EEB478AD0E5) = 4C88A4C8C8328CF6; E(KL, 4C88A4C8C8328CF6) = E10749A5ED706C2F
  t.deepEqual(x919Mac(K16, DATA), hex('E10749A5ED706C2F'));
  t.throws(() => x919Mac(K8, DATA), { instanceOf: RangeError });
});

test('PIN block format 0: the reference example', (t) => {
  // PAN 123456789012345678: drop check digit 8, 12 rightmost = 678901234567
  t.is(pan12FromPan('123456789012345678'), '678901234567');
  // 06123456FFFFFFFF ^ 0000678901234567
  t.deepEqual(pinBlockFormat0('123456', '678901234567'), hex('061253DFFEDCBA98'));
});

test('PIN block: 4-digit PIN and a 19-digit PAN', (t) => {
  // PAN 6217000010000000018 -> 12 rightmost before check digit 8: 001000000001
  t.is(pan12FromPan('6217000010000000018'), '001000000001');
  // 04 12 34 FF FF FF FF FF ^ 00 00 00 10 00 00 00 01 = 04 12 34 EF FF FF FF FE
  t.deepEqual(pinBlockFormat0('1234', '001000000001'), hex('041234EFFFFFFFFE'));
});

test('PIN block encryption, translation and verification', (t) => {
  const kiosk = hex('A1A2A3A4A5A6A7A8 B1B2B3B4B5B6B7B8');
  // E(kiosk, 061253DFFEDCBA98) = 45877CD7AFD7529C ; E(K16, 061253DFFEDCBA98) = DECD0AF638E0474B
  t.deepEqual(encryptPinBlock(kiosk, hex('061253DFFEDCBA98')), hex('45877CD7AFD7529C'));
  t.deepEqual(translatePinBlock(kiosk, K16, hex('45877CD7AFD7529C')), hex('DECD0AF638E0474B'));
  t.true(verifyPinBlock(K16, hex('DECD0AF638E0474B'), '678901234567', '123456'));
  t.false(verifyPinBlock(K16, hex('DECD0AF638E0474B'), '678901234567', '123457'));
  t.false(verifyPinBlock(K16, hex('DECD0AF638E0474B'), '678901234568', '123456'));
});

test('key check values', (t) => {
  // E(K, 0000000000000000): single D5D44FF720683D0D (also -des-ecb -provider legacy), double 08D7B4FB629D0885
  t.deepEqual(keyCheckValue(K8), hex('D5D44FF7'));
  t.deepEqual(keyCheckValue(K16), hex('08D7B4FB'));
  t.deepEqual(keyCheckValue(K16, 8), hex('08D7B4FB629D0885'));
});

const TMK = hex('C8D9EAFB0C1D2E3F405162738495A6B7');
const LAYOUT = { keyLength: 16, order: ['pik', 'mak'], checkValueLength: 4 } as const;
// PIK = 0123456789ABCDEFFEDCBA9876543210: E(TMK, PIK) = A5DB0C2CE0E4E214B95D234DC68A5B34, KCV 08D7B4FB
// MAK = 11223344556677888877665544332211: E(TMK, MAK) = 6474E1619AB1D135217681B3A97E7699, KCV 491510CA
const FIELD62 = hex('A5DB0C2CE0E4E214B95D234DC68A5B34 08D7B4FB 6474E1619AB1D135217681B3A97E7699 491510CA');

test('working keys from field 62 are installed and used for MACs and PIN translation', (t) => {
  const keys = new BankKeys({ tmk: TMK });
  t.false(keys.hasWorkingKeys);
  keys.installWorkingKeys(FIELD62, { ...LAYOUT, order: [...LAYOUT.order] });
  t.true(keys.hasWorkingKeys);
  // ECB MAC of DATA under MAK: E(MAK, 3446344133423343) = 48407B557F87D7BE; ^ 3736373237323745 = 7F764C6748B5E0FB;
  // E(MAK, 7F764C6748B5E0FB) = F9A8266D095611EA -> "F9A8266D"
  t.deepEqual(keys.mac('unionpay-ecb', DATA), Buffer.from('F9A8266D', 'ascii'));
  t.true(keys.verifyMac('unionpay-ecb', DATA, Buffer.from('F9A8266D', 'ascii')));
  t.false(keys.verifyMac('unionpay-ecb', DATA, Buffer.from('F9A8266E', 'ascii')));
  t.deepEqual(keys.translatePinIn(hex('A1A2A3A4A5A6A7A8 B1B2B3B4B5B6B7B8'), hex('45877CD7AFD7529C')), hex('DECD0AF638E0474B'));
});

test('a working key with a wrong check value is refused and nothing is installed', (t) => {
  const keys = new BankKeys({ tmk: TMK });
  const bad = Buffer.from(FIELD62);
  bad[bad.length - 1]! ^= 0x01; // MAK check value 491510CB
  const err = t.throws(() => keys.installWorkingKeys(bad, { ...LAYOUT, order: [...LAYOUT.order] }), { instanceOf: QuancunError });
  t.is(err?.code, 'BANK_KEY_INVALID');
  t.is(err?.details.key, 'mak');
  t.false(keys.hasWorkingKeys);
  t.is(t.throws(() => keys.mac('unionpay-ecb', DATA), { instanceOf: QuancunError })?.code, 'BANK_NOT_SIGNED_ON');
});

test('a short field 62 is a protocol error', (t) => {
  const keys = new BankKeys({ tmk: TMK });
  const err = t.throws(() => keys.installWorkingKeys(FIELD62.subarray(0, 30), { ...LAYOUT, order: [...LAYOUT.order] }), { instanceOf: QuancunError });
  t.is(err?.code, 'BANK_PROTOCOL');
});
