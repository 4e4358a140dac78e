/**
 * The shipped ascii-x919 profile on the wire, against bytes written out by hand: ASCII length header, no TPDU,
 * ASCII MTI, hex-ASCII bitmap, ASCII numeric fields and length prefixes, X9.19 MAC. The MAC was computed with openssl
 * (see the comment there). Also: operations that share an MTI are told apart by their literals, and the new
 * cross-checks of a profile fail at load time naming the file and the reason.
 */
import test from 'ava';
import { bankProfilePath } from '../../gateway/banks.ts';
import { createCodec, type IsoMessage } from '../../gateway/bank/iso8583/codec.ts';
import { FrameDecoder, frame } from '../../gateway/bank/iso8583/framing.ts';
import { computeMac, encodeWithMac } from '../../gateway/bank/iso8583/message-mac.ts';
import { loadBankProfile, OPERATIONS } from '../../gateway/bank/iso8583/profile.ts';
import { buildMessage, matchesTemplate } from '../../gateway/bank/iso8583/template.ts';
import { profileMistakeTests, type ProfileMistake } from '../support/profile-mistakes.ts';

const PROFILE_PATH = bankProfilePath('ascii-x919');
const profile = loadBankProfile(PROFILE_PATH);
const codec = createCodec(profile);
const ascii = (...parts: string[]) => Buffer.from(parts.join(''), 'ascii');
const MAK = Buffer.from('11223344556677888877665544332211', 'hex');

const signOn: IsoMessage = {
  mti: '0800',
  fields: { 11: '000001', 41: 'QC000001', 42: '898310048990001', 60: '00000001003', 63: '001' },
};
const signOnBytes = ascii(
  '0800',
  '0020000000C00012', // bitmap as 16 hex characters: 11 | 41 42 | 60 63
  '000001', // 11 n6 as ASCII digits
  'QC000001', '898310048990001', // 41, 42
  '011', '00000001003', // 60 LLL, ASCII prefix: 11 digits, no filler nibble
  '003', '001', // 63 LLL: operator
);

test('0800 sign-on: encodes to the written-out ASCII bytes and decodes back', (t) => {
  t.deepEqual(codec.encode(signOn), signOnBytes);
  t.deepEqual(codec.decode(signOnBytes), signOn);
});

test('frames carry a 4-digit ASCII length and no TPDU or header, both ways', (t) => {
  const framed = Buffer.concat([ascii('0069'), signOnBytes]); // 69 = body length
  t.deepEqual(frame(profile.framing, signOnBytes, 'request'), framed);
  t.deepEqual(frame(profile.framing, signOnBytes, 'response'), framed);
  const d = new FrameDecoder(profile.framing);
  t.deepEqual(d.push(framed.subarray(0, 3)), []);
  t.deepEqual(d.push(Buffer.concat([framed.subarray(3), framed])), [signOnBytes, signOnBytes]);
});

const transferBeforeMac = Buffer.concat([
  ascii(
    '0200',
    '7020048000C09013', // 2 3 4 | 11 | 22 | 25 | 41 42 | 49 52 | 60 63 64 (no 53 in this dialect)
    '19', '6217000010000000018', // 2 LL ASCII: no filler
    '400000', '000000001000', '000002', '011', '00', 'QC000001', '898310048990001', '156',
  ),
  Buffer.from('DECD0AF638E0474B', 'hex'), // 52 stays binary
  ascii('008', '40000001', '014', 'JX-A101-000042'),
]);
// X9.19 under MAK 1122334455667788|8877665544332211 of the 132 bytes above, zero-padded to 136:
// openssl enc -des-ede3-cbc -K KL|KL|KL -iv 0 -nopad -> last block 3C070BF39A8D90C1;
// openssl enc -d -des-ede3 -K KR|KR|KR -> C18C17EACCE9D13A; openssl enc -des-ede3 -K KL|KL|KL -> E274EE548E50AB10
const MAC = Buffer.from('E274EE548E50AB10', 'hex');

test('the transfer template builds the 0200 and the X9.19 MAC ends it', (t) => {
  const msg = buildMessage(profile.templates.transfer.request, profile.fields, {
    pan: '6217000010000000018', amount: '000000001000', stan: '000002', terminalId: 'QC000001', merchantId: '898310048990001',
    pinBlock: Buffer.from('DECD0AF638E0474B', 'hex'), batch: '000001', campusRef: 'JX-A101-000042',
  });
  const body = encodeWithMac(codec, profile.mac, msg, (d) => computeMac(profile.mac.algorithm, MAK, d));
  t.deepEqual(body, Buffer.concat([transferBeforeMac, MAC]));
  t.deepEqual(codec.decode(body).fields[64], MAC);
});

test('echo and sign-off share MTIs 0820/0830 and are told apart by 60.3', (t) => {
  const answer = (netCode: string) => codec.decode(ascii('0830', '0020000002C00010', '000007', '00', 'QC000001', '898310048990001', '011', `00000001${netCode}`));
  const of = (msg: IsoMessage) => OPERATIONS.filter((op) => matchesTemplate(profile.templates[op].response, msg));
  t.deepEqual(of(answer('301')), ['echo']);
  t.deepEqual(of(answer('002')), ['signOff']);
  t.deepEqual(of(answer('999')), []);
});

const fixtures: ProfileMistake[] = [
  ['missing-settlement', (p) => delete p.templates.settlement, /templates\.settlement: missing template/],
  ['echo-like-sign-off', (p) => (p.templates.signOff.request.fields['60'].netCode = '301'),
    /templates\.signOff\.request and templates\.echo\.request: same MTI and no literal tells them apart/],
  ['no-stan-column', (p) => (p.reconciliation.columns = p.reconciliation.columns.filter((c: any) => c.name !== 'stan')), /reconciliation\.columns: no stan column/],
  ['trade-code-width', (p) => (p.reconciliation.tradeCodes.reversal = '04'), /reconciliation\.tradeCodes\.reversal: "04" is not 4 wide/],
  ['unknown-column', (p) => p.reconciliation.columns.push({ name: 'branch', width: 4 }), /reconciliation\.columns\.9\.name: Invalid option/],
  ['x919-single-length', (p) => (p.workingKeys.keyLength = 8), /mac\.algorithm: x9\.19 needs 16-byte working keys/],
];
profileMistakeTests(PROFILE_PATH, fixtures);
