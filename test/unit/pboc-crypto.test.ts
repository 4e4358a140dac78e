/**
 * PBOC purse crypto against vectors computed with openssl on the command line:
 *   3DES (two-key):  echo -n <hex> | xxd -r -p | openssl enc -des-ede3 -K <K1 K2 K1> -nopad -nosalt | xxd -p
 *   single DES:      the same with -K <K K K>
 *   MAC (CBC):       openssl enc -des-ede3-cbc -K <K K K> -iv 0000000000000000 -nopad over the 80-padded data, last block
 * XORs of two 8-byte blocks were done with python3 -c "print('%016X' % (a ^ b))".
 */
import test from 'ava';
import { fromHex } from '../../common/bytes.ts';
import {
  diversifyKey, pbocMac, loadSessionKey, loadMac1, loadMac2, loadTac,
  purchaseSessionKey, purchaseMac1, purchaseMac2, purchaseTac, TXN_TYPE,
} from '../../common/crypto/pboc.ts';

const MLK = fromHex('11223344556677888877665544332211');
const MPK = fromHex('0123456789ABCDEFFEDCBA9876543210');
const MTK = fromHex('00112233445566778899AABBCCDDEEFF');
/** f = 1234567890123456, NOT f = EDCBA9876FEDCBA9. */
const ASN = fromHex('00001234567890123456');
// DLK = e3(MLK, f) || e3(MLK, NOT f), likewise DPK and DTK.
const DLK = fromHex('E89017ACD6D12D964A4EE78E6A3FF5E2');
const DPK = fromHex('A92FD76424820AD168D81E7EC5F9FA68');
const DTK = fromHex('465102547FDFF7EFC1C77DE679B9B425');
const TERMINAL = fromHex('112233445566');
const DATE = fromHex('20240915');
const TIME = fromHex('143005');

test('diversifyKey: 3DES of f and of NOT f under the master key', (t) => {
  t.deepEqual(diversifyKey(MLK, ASN), DLK);
  t.deepEqual(diversifyKey(MPK, ASN), DPK);
  t.deepEqual(diversifyKey(MTK, ASN), DTK);
  t.throws(() => diversifyKey(MLK.subarray(0, 8), ASN), { instanceOf: RangeError });
});

test('pbocMac with an 8-byte key pads a whole 80 00.. block when the data is aligned', (t) => {
  // cbc over 0102030405060708 8000000000000000 under 0123456789ABCDEF: last block F0A11DAFDF3B712D
  t.deepEqual(pbocMac(fromHex('0123456789ABCDEF'), fromHex('0102030405060708')), fromHex('F0A11DAF'));
});

test('pbocMac with a 16-byte key: single DES under the left half, the last block 3DES', (t) => {
  // e1(0123456789ABCDEF, 1122334455667788) = B4CC3FD9D8D95214; ^ 9980000000000000 = 2D4C3FD9D8D95214;
  // e3(0123456789ABCDEF FEDCBA9876543210, 2D4C3FD9D8D95214) = AE592848F0ADE719
  t.deepEqual(pbocMac(MPK, fromHex('112233445566778899')), fromHex('AE592848'));
});

test('load: session key, MAC1, MAC2 and TAC', (t) => {
  const random = fromHex('11223344');
  // e3(DLK, 11223344 0005 8000)
  const sessionKey = loadSessionKey(DLK, random, 5);
  t.deepEqual(sessionKey, fromHex('4CDA501833C2C02C'));
  // cbc(SESLK, 00002710 00001388 02 112233445566 80): oldBalance 10000 fen, amount 5000 fen
  t.deepEqual(loadMac1({ oldBalance: 10_000, amount: 5_000, terminalId: TERMINAL }, sessionKey), fromHex('5C994F88'));
  // cbc(SESLK, 00001388 02 112233445566 20240915 143005 80 0000000000)
  t.deepEqual(loadMac2({ amount: 5_000, terminalId: TERMINAL, date: DATE, time: TIME }, sessionKey), fromHex('3405F523'));
  // TAC key = 465102547FDFF7EF ^ C1C77DE679B9B425 = 87967FB2066643CA;
  // cbc(TK, 00003A98 0005 00001388 02 112233445566 20240915 143005 | 8000000000000000)
  const tac = loadTac(DTK, {
    newBalance: 15_000, counterBefore: 5, amount: 5_000, type: TXN_TYPE.load, terminalId: TERMINAL, date: DATE, time: TIME,
  });
  t.deepEqual(tac, fromHex('91C4D42C'));
});

test('purchase: session key, MAC1, MAC2 and TAC', (t) => {
  // e3(DPK, AABBCCDD 0007 0203): offline counter 7, terminal sequence 00010203 (low two bytes 0203)
  const sessionKey = purchaseSessionKey(DPK, fromHex('AABBCCDD'), 7, 0x00010203);
  t.deepEqual(sessionKey, fromHex('82F2EAE2FA114F54'));
  // cbc(SESPK, 000000FA 06 112233445566 20240915 143005 80 0000000000): amount 250 fen
  t.deepEqual(purchaseMac1({ amount: 250, terminalId: TERMINAL, date: DATE, time: TIME }, sessionKey), fromHex('5C64C6DB'));
  // cbc(SESPK, 000000FA 80000000)
  t.deepEqual(purchaseMac2({ amount: 250 }, sessionKey), fromHex('F70EE359'));
  // cbc(TK, 000000FA 06 112233445566 00010203 20240915 143005 8000)
  const tac = purchaseTac(DTK, {
    amount: 250, type: TXN_TYPE.purchase, terminalId: TERMINAL, terminalTxSeq: 0x00010203, date: DATE, time: TIME,
  });
  t.deepEqual(tac, fromHex('1F75367B'));
});

test('length checks refuse malformed inputs', (t) => {
  t.throws(() => loadSessionKey(DLK, fromHex('112233'), 5), { instanceOf: RangeError });
  t.throws(() => loadSessionKey(DLK, fromHex('11223344'), 0x10000), { instanceOf: RangeError });
  t.throws(() => loadMac1({ oldBalance: 0, amount: 1, terminalId: fromHex('1122') }, fromHex('4CDA501833C2C02C')), { instanceOf: RangeError });
  t.throws(() => pbocMac(fromHex('0011'), Buffer.alloc(0)), { instanceOf: RangeError });
});
