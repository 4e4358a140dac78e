/**
 * The virtual card, APDU bytes in and out. MAC1/MAC2/TAC values are the openssl-computed vectors of
 * test/unit/pboc-crypto.test.ts (same master keys, ASN, random, counters, terminal, date and time).
 */
import test from 'ava';
import { fromHex, toHex } from '../../common/bytes.ts';
import { VirtualCard, type VirtualCardState } from '../../sim/card/virtual-card.ts';
import { personalise } from '../../sim/card/issuance.ts';
import { loadMac2, loadSessionKey } from '../../common/crypto/pboc.ts';

const masterKeys = {
  load: fromHex('11223344556677888877665544332211'),
  purchase: fromHex('0123456789ABCDEFFEDCBA9876543210'),
  tac: fromHex('00112233445566778899AABBCCDDEEFF'),
};
const ASN = '00001234567890123456';

function makeCard(overrides: Partial<VirtualCardState> = {}, randoms: string[] = ['11223344']): VirtualCard {
  const state = {
    ...personalise({
      masterKeys, asn: ASN, balance: 10_000, pin: '123456', startDate: '20240901', endDate: '20340831',
      holder: { name: '张三', staffNo: '2024001', idType: 1 },
    }),
    ...overrides,
  };
  const queue = [...randoms];
  return new VirtualCard(state, { random: () => fromHex(queue.shift() ?? '00000000') });
}

/** Sends hex, returns hex of the whole response (data || SW). */
const send = (card: VirtualCard, hex: string): string => toHex(card.transmit(fromHex(hex)));
/** Expected responses are written with spaces between fields. */
const h = (hex: string): string => hex.replace(/\s/g, '');
const SELECT_AID = '00A4040009A00000000386980701 00';
const INIT_LOAD_5000 = '805000020B 01 00001388 112233445566 10';
const CREDIT_GOOD = '805200000B 20240915 143005 3405F523 04';

test('personalisation writes the diversified keys, never the master keys', (t) => {
  const s = personalise({ masterKeys, asn: ASN });
  // e3(MK, 1234567890123456) || e3(MK, EDCBA9876FEDCBA9) per master key (see pboc-crypto.test.ts)
  t.deepEqual(s.keys, { dlk: 'E89017ACD6D12D964A4EE78E6A3FF5E2', dpk: 'A92FD76424820AD168D81E7EC5F9FA68', dtk: '465102547FDFF7EFC1C77DE679B9B425', index: 1, version: 1, algId: 0 });
  t.false(JSON.stringify(s).includes('11223344556677888877665544332211'));
  t.deepEqual(JSON.parse(JSON.stringify(s)), s);
  // 7 CJK characters are 21 UTF-8 bytes: one too many for the 20-byte name field
  t.throws(() => personalise({ masterKeys, asn: ASN, holder: { name: '一二三四五六七' } }), { instanceOf: RangeError });
  t.throws(() => personalise({ masterKeys, asn: ASN, balance: 100_001 }), { instanceOf: RangeError });
});

test('ATR is the PC/SC ATR of an ISO 14443-4 card', (t) => {
  // 3B 87 80 01 + "QUANCUN" + TCK (XOR of bytes T0..last historical byte = 55)
  t.is(toHex(makeCard().atr), h('3B 87 80 01 5155414E43554E 55'));
});

test('select by AID returns the FCI; by FID path 3F01 / 1001 / DF03 too', (t) => {
  const card = makeCard();
  t.is(send(card, SELECT_AID), '6F0B8409A000000003869807019000');
  t.is(send(card, '805C000204'), '000027109000');
  card.reset();
  t.is(send(card, '805C000204'), '6985');
  t.is(send(card, '00A40000023F01'), '9000');
  t.is(send(card, '00A4000002 1001'), '9000');
  t.is(send(card, '805C000204'), '6985', 'not yet in the purse application');
  t.is(send(card, '00A4000002 DF03'), '9000');
  t.is(send(card, '805C000204'), '000027109000');
  t.is(send(card, '00A4040009A00000000386980702 00'), '6A82');
  t.is(send(card, '805C000204'), '6985', 'a failed AID select leaves no application selected');
  t.is(send(card, '00A4000002 1234'), '6A82');
});

test('READ BINARY of the public data (EF 15) and holder data (EF 16)', (t) => {
  const card = makeCard();
  t.is(send(card, '00B095001E'), '6A82', 'no file before the application is selected');
  send(card, SELECT_AID);
  // issuer 4300000000000001 | type 02 | version 01 | ASN | 20240901 | 20340831 | 0000
  t.is(send(card, '00B095001E'), h('4300000000000001 02 01 00001234567890123456 20240901 20340831 0000 9000'));
  // "张三" UTF-8 E5BCA0E4B889 padded to 20 | "2024001" ASCII padded to 20 | id type 01
  const name = 'E5BCA0E4B889'.padEnd(40, '0');
  const staff = '32303234303031'.padEnd(40, '0');
  t.is(send(card, '00B0960029'), `${name}${staff}019000`);
  t.is(send(card, '00B0970029'), '6A82');
  t.is(send(card, '00B0950010'), h('4300000000000001 02 01 000012345678 9000'), 'Le shorter than the file');
});

test('status words for malformed commands', (t) => {
  const card = makeCard();
  send(card, SELECT_AID);
  t.is(send(card, '84A4040009A00000000386980701'), '6E00', 'unknown class');
  t.is(send(card, '80A4040009A00000000386980701'), '6E00', 'ISO command with the proprietary class');
  t.is(send(card, '005C000204'), '6E00', 'purse command with the ISO class');
  t.is(send(card, '80CA000000'), '6D00');
  t.is(send(card, '805C00'), '6700', 'shorter than a header');
  t.is(send(card, '805000020A 01 00001388 1122334455'), '6700', 'INITIALIZE with 10 data bytes');
  t.is(send(card, '805000020B 01 00001388 1122334455'), '6700', 'Lc larger than the data');
  t.is(send(card, '805C000104'), '6A86', 'no electronic deposit application');
  t.is(send(card, '805000020B 02 00001388 112233445566 10'), '9403', 'unknown key index');
});

test('load round trip: MAC1 from the card, MAC2 verified, TAC with the counter before the increment', (t) => {
  const card = makeCard({ onlineCounter: 5 });
  send(card, SELECT_AID);
  // oldBalance 00002710 | counter 0005 | key version 01 | alg 00 | random 11223344 | MAC1 5C994F88
  t.is(send(card, INIT_LOAD_5000), h('00002710 0005 01 00 11223344 5C994F88 9000'));
  // TAC 91C4D42C over newBalance 00003A98 and counter 0005
  t.is(send(card, CREDIT_GOOD), '91C4D42C9000');
  const s = card.state();
  t.is(s.balance, 15_000);
  t.is(s.onlineCounter, 6);
  t.is(send(card, '805C000204'), '00003A989000');
  // record 1: counter 0005 | overdraft 000000 | amount 00001388 | type 02 | terminal | date | time
  t.is(send(card, '00B201C417'), h('0005 000000 00001388 02 112233445566 20240915 143005 9000'));
  t.is(send(card, '00B202C417'), '6A83');
  // proof by the counter the load left behind (5 + 1): MAC2 then TAC
  t.is(send(card, '805A0002020006 08'), '3405F52391C4D42C9000');
  t.is(send(card, '805A0002020005 08'), '9406');
  t.is(send(card, '805A0006020006 08'), '9406', 'no purchase with that counter');
  // A torn credit seen from a restored card (another process): counter saved + 1, proof still there.
  const restored = new VirtualCard(card.state());
  send(restored, SELECT_AID);
  t.is(send(restored, '805A0002020006 08'), '3405F52391C4D42C9000');
});

test('a wrong MAC2 is refused with 9302 and changes nothing; the session is over', (t) => {
  const card = makeCard({ onlineCounter: 5 }, ['11223344', '11223344']);
  send(card, SELECT_AID);
  send(card, INIT_LOAD_5000);
  const before = card.state();
  t.is(send(card, '805200000B 20240915 143005 3405F524 04'), '9302');
  t.deepEqual(card.state(), before);
  t.is(send(card, CREDIT_GOOD), '6985', 'no second try within the same session');
  t.is(send(card, INIT_LOAD_5000), h('00002710 0005 01 00 11223344 5C994F88 9000'), 'counter unchanged');
  t.is(send(card, CREDIT_GOOD), '91C4D42C9000', 'a fresh session accepts the right MAC2');
});

test('CREDIT only right after INITIALIZE FOR LOAD in the same power-up', (t) => {
  const card = makeCard({ onlineCounter: 5 }, ['11223344', '11223344']);
  send(card, SELECT_AID);
  t.is(send(card, CREDIT_GOOD), '6985', 'no INITIALIZE');
  send(card, INIT_LOAD_5000);
  t.is(send(card, '805C000204'), '000027109000');
  t.is(send(card, CREDIT_GOOD), '6985', 'another command came between');
  send(card, INIT_LOAD_5000);
  card.reset();
  send(card, SELECT_AID);
  t.is(send(card, CREDIT_GOOD), '6985', 'reset ends the session');
  t.is(card.state().balance, 10_000);
});

test('purse limit: INITIALIZE FOR LOAD answers 9401 when the balance would exceed it', (t) => {
  const card = makeCard({ purseLimit: 14_999 });
  send(card, SELECT_AID);
  t.is(send(card, INIT_LOAD_5000), '9401');
  t.is(send(card, '805000020B 01 00000FA0 112233445566 10').slice(0, 12), '000027100000', '4000 fits: balance, counter 0');
});

test('purchase round trip with the PSAM-side MAC1; insufficient balance is 9401', (t) => {
  const card = makeCard({ offlineCounter: 7 }, ['AABBCCDD']);
  send(card, SELECT_AID);
  t.is(send(card, '805001020B 01 0000FA00 112233445566 0F'), '9401', 'more than the balance');
  // balance 00002710 | offline counter 0007 | overdraft 000000 | key version 01 | alg 00 | random AABBCCDD
  t.is(send(card, '805001020B 01 000000FA 112233445566 0F'), h('00002710 0007 000000 01 00 AABBCCDD 9000'));
  // sequence 00010203 | date | time | MAC1 5C64C6DB -> TAC 1F75367B | MAC2 F70EE359
  t.is(send(card, '805401000F 00010203 20240915 143005 5C64C6DB 08'), '1F75367BF70EE3599000');
  const s = card.state();
  t.is(s.balance, 10_000 - 250);
  t.is(s.offlineCounter, 8);
  t.is(s.onlineCounter, 0);
  t.is(send(card, '805A0006020008 08'), 'F70EE3591F75367B9000');
  t.is(send(card, '00B201C417'), h('0007 000000 000000FA 06 112233445566 20240915 143005 9000'));
});

test('PIN: BCD digits padded with F, tries count down, success restores them, 6983 when blocked', (t) => {
  const card = makeCard();
  send(card, SELECT_AID);
  t.is(send(card, '0020000003123457'), '63C2');
  t.is(send(card, '0020000003123456'), '9000');
  t.is(card.state().pinTriesLeft, 3);
  t.is(send(card, '0020000003123457'), '63C2');
  t.is(send(card, '0020000003123457'), '63C1');
  t.is(send(card, '0020000003123457'), '63C0');
  t.is(send(card, '0020000003123456'), '6983', 'blocked even with the right PIN');
  t.is(card.state().pinTriesLeft, 0);
  const odd = makeCard({ pin: '12345' });
  send(odd, SELECT_AID);
  t.is(send(odd, '002000000312345F'), '9000');
  t.is(send(odd, '00200000031234AF'), '6A80', 'not digits');
});

test('records are cyclic: ten kept, newest first', (t) => {
  const card = makeCard({ balance: 0 }, Array(12).fill('11223344'));
  const dlk = fromHex('E89017ACD6D12D964A4EE78E6A3FF5E2');
  send(card, SELECT_AID);
  for (let counter = 0; counter < 12; counter++) {
    t.is(send(card, '805000020B 01 00000001 112233445566 10').slice(-4), '9000');
    // MAC2 from the openssl-checked functions: this test is about the record file, not the MAC.
    const mac2 = loadMac2({ amount: 1, terminalId: fromHex('112233445566'), date: fromHex('20240915'), time: fromHex('143005') },
      loadSessionKey(dlk, fromHex('11223344'), counter));
    t.is(send(card, `805200000B 20240915 143005 ${toHex(mac2)} 04`).slice(-4), '9000');
  }
  const counters = card.state().records.map((r) => r.counter);
  t.deepEqual(counters, [11, 10, 9, 8, 7, 6, 5, 4, 3, 2]);
  t.is(send(card, '00B201C417').slice(0, 4), '000B');
  t.is(send(card, '00B20AC417').slice(0, 4), '0002');
  t.is(send(card, '00B20BC417'), '6A83');
  t.is(send(card, '00B200C417'), '6A83');
});
