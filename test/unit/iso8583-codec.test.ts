/**
 * The ISO 8583 codec, framing and profile loader with the shipped unionpay profile. Expected bytes are written out
 * by hand, field by field; the MAC of the 0200 was computed with openssl (see the comment there).
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { createCodec, type IsoMessage } from '../../gateway/bank/iso8583/codec.ts';
import type { FieldSpec } from '../../gateway/bank/iso8583/field-format.ts';
import { FrameDecoder, frame } from '../../gateway/bank/iso8583/framing.ts';
import { computeMac, encodeWithMac, macParts } from '../../gateway/bank/iso8583/message-mac.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { buildMessage, readMessage } from '../../gateway/bank/iso8583/template.ts';
import { tempDir } from '../support/temp-dir.ts';
import { profileMistakeTests, type ProfileMistake } from '../support/profile-mistakes.ts';

const PROFILE_PATH = bankProfilePath('unionpay');
const profile = loadBankProfile(PROFILE_PATH);
const codec = createCodec(profile);
const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');

const TID = ascii('QC000001'); // 51 43 30 30 30 30 30 31
const MID = ascii('898310048990001');
const PAN = '6217000010000000018';
const FIELD62 = hex('A5DB0C2CE0E4E214B95D234DC68A5B34 08D7B4FB 6474E1619AB1D135217681B3A97E7699 491510CA');

const signOn: IsoMessage = {
  mti: '0800',
  fields: { 11: '000001', 41: 'QC000001', 42: '898310048990001', 60: '00000001003', 63: '001' },
};
const signOnBytes = hex(
  '0800',
  '0020000000C00012', // bitmap: 11 | 41 42 | 60 63
  '000001', // 11 n6 BCD
  TID, // 41 ans8
  MID, // 42 ans15
  '0011', '000000010030', // 60 LLL BCD: 11 digits (60.1 00, 60.2 000001, 60.3 003), right-padded 0
  '0003', ascii('001'), // 63 LLL: operator
);

const signOnAnswer: IsoMessage = {
  mti: '0810',
  fields: { 11: '000001', 12: '115959', 13: '1128', 39: '00', 41: 'QC000001', 42: '898310048990001', 60: '00000001003', 62: FIELD62 },
};
const signOnAnswerBytes = hex(
  '0810',
  '00380000 02C00014', // bitmap: 11 12 13 | 39 | 41 42 | 60 62
  '000001', '115959', '1128', // 11, 12 hhmmss, 13 MMDD
  '3030', // 39 an2 "00"
  TID, MID,
  '0011', '000000010030', // 60
  '0040', FIELD62.toString('hex'), // 62 LLL b: 40 bytes of working keys
);

const transfer: IsoMessage = {
  mti: '0200',
  fields: {
    2: PAN, 3: '400000', 4: '000000001000', 11: '000002', 22: '011', 25: '00', 41: 'QC000001', 42: '898310048990001',
    49: '156', 52: hex('DECD0AF638E0474B'), 53: '2600000000000000', 60: '40000001', 63: 'JX-A101-000042',
  },
};
const transferBytesBeforeMac = hex(
  '0200',
  '70200480 00C09813', // bitmap: 2 3 4 | 11 | 22 | 25 | 41 42 | 49 52 53 | 60 63 64
  '19', '62170000100000000180', // 2 LL BCD: 19 digits, right-padded 0
  '400000', // 3
  '000000001000', // 4: 10.00 yuan in fen
  '000002', // 11
  '0110', // 22 n3, right-padded
  '00', // 25
  TID, MID,
  ascii('156'), // 49
  'DECD0AF638E0474B', // 52 PIN block
  '2600000000000000', // 53
  '0008', '40000001', // 60 LLL: 60.1 40, 60.2 000001
  '0014', ascii('JX-A101-000042'), // 63 LLL ans: campus reference
);
// UnionPay ECB MAC under MAK 11223344556677888877665544332211 of the 100 bytes above (padded to 104):
// XOR of blocks FEA5759491C7B34E -> "FEA57594""91C7B34E"; openssl -des-ede3 -K MAK|MAK_left: E(first) = 712AB336A24974AE,
// ^ second half = 481BF001E07A40EB, E(..) = 56BFB43BCF9A1719 -> "56BFB43B" = 3536424642343342
const MAK = hex('11223344556677888877665544332211');
const transferBytes = Buffer.concat([transferBytesBeforeMac, hex('3536424642343342')]);

const transferAnswer: IsoMessage = {
  mti: '0210',
  fields: {
    2: PAN, 3: '400000', 4: '000000001000', 11: '000002', 12: '120001', 13: '1128', 25: '00', 37: '000000000001', 39: '00',
    41: 'QC000001', 42: '898310048990001', 49: '156', 60: '40000001', 64: Buffer.from('0123456789ABCDEF', 'hex'),
  },
};
const transferAnswerBytes = hex(
  '0210',
  '70380080 0AC08011', // bitmap: 2 3 4 | 11 12 13 | 25 | 37 39 | 41 42 | 49 | 60 64
  '19', '62170000100000000180', '400000', '000000001000', '000002', '120001', '1128', '00',
  ascii('000000000001'), // 37 an12
  ascii('00'), // 39
  TID, MID, ascii('156'),
  '0008', '40000001',
  '0123456789ABCDEF', // 64
);

const reversal: IsoMessage = {
  mti: '0400',
  fields: {
    2: PAN, 3: '400000', 4: '000000001000', 11: '000002', 22: '011', 25: '00', 39: '98', 41: 'QC000001', 42: '898310048990001',
    49: '156', 60: '40000001', 63: 'JX-A101-000042', 64: Buffer.from('FEDCBA9876543210', 'hex'),
  },
};
const reversalBytes = hex(
  '0400',
  '70200480 02C08013', // bitmap: 2 3 4 | 11 | 22 | 25 | 39 | 41 42 | 49 | 60 63 64
  '19', '62170000100000000180', '400000', '000000001000', '000002', '0110', '00',
  ascii('98'), // 39: reversal reason, no answer in time
  TID, MID, ascii('156'),
  '0008', '40000001',
  '0014', ascii('JX-A101-000042'),
  'FEDCBA9876543210',
);

for (const [name, msg, bytes] of [
  ['0800 sign-on', signOn, signOnBytes],
  ['0810 sign-on answer', signOnAnswer, signOnAnswerBytes],
  ['0200 transfer', { ...transfer, fields: { ...transfer.fields, 64: hex('3536424642343342') } }, transferBytes],
  ['0210 transfer answer', transferAnswer, transferAnswerBytes],
  ['0400 reversal', reversal, reversalBytes],
] as const) {
  test(`${name}: encodes to the written-out bytes and decodes back`, (t) => {
    t.deepEqual(codec.encode(msg), bytes);
    t.deepEqual(codec.decode(bytes), msg);
  });
}

test('the transfer template builds the 0200, and the MAC goes into field 64', (t) => {
  const msg = buildMessage(profile.templates.transfer.request, profile.fields, {
    pan: PAN, amount: '000000001000', stan: '000002', terminalId: 'QC000001', merchantId: '898310048990001',
    pinBlock: hex('DECD0AF638E0474B'), batch: '000001', campusRef: 'JX-A101-000042',
  });
  t.deepEqual(msg, transfer);
  const body = encodeWithMac(codec, profile.mac, msg, (d) => computeMac('unionpay-ecb', MAK, d));
  t.deepEqual(body, transferBytes);
  t.deepEqual(macParts(profile.mac, body, codec.decode(body)), { data: transferBytesBeforeMac, mac: hex('3536424642343342') });
});

test('reading the sign-on answer with its template yields the working keys and batch', (t) => {
  const vars = readMessage(profile.templates.signOn.response, codec.decode(signOnAnswerBytes));
  t.deepEqual(vars, {
    stan: '000001', hostTime: '115959', hostDate: '1128', responseCode: '00', terminalId: 'QC000001',
    merchantId: '898310048990001', batch: '000001', workingKeys: FIELD62,
  });
});

test('a field over 64 sets bit 1 and adds the secondary bitmap; ASCII MTI, hex bitmap and ASCII LL also work', (t) => {
  const spec = (no: number, s: Partial<FieldSpec>): [number, FieldSpec] =>
    [no, { no, format: 'n', length: 3, lengthType: 'fixed', encoding: 'bcd', lengthEncoding: 'bcd', pad: 'left', ...s }];
  const bin = createCodec({ mti: 'bcd', bitmap: 'binary', fields: new Map([spec(3, {}), spec(70, {})]) });
  const msg = { mti: '0800', fields: { 3: '123', 70: '001' } };
  // 0800 | A000000000000000 (bits 1, 3) | 0400000000000000 (bit 70) | 0123 | 0001 (n3 left-padded)
  const bytes = hex('0800', 'A000000000000000', '0400000000000000', '0123', '0001');
  t.deepEqual(bin.encode(msg), bytes);
  t.deepEqual(bin.decode(bytes), msg);

  const text = createCodec({ mti: 'ascii', bitmap: 'hex', fields: new Map([spec(2, { length: 19, lengthType: 'LL', encoding: 'ascii', lengthEncoding: 'ascii' })]) });
  const tmsg = { mti: '0200', fields: { 2: '62170000' } };
  const tbytes = Buffer.from('0200' + '4000000000000000' + '08' + '62170000', 'ascii');
  t.deepEqual(text.encode(tmsg), tbytes);
  t.deepEqual(text.decode(tbytes), tmsg);
});

test('malformed messages are protocol errors naming the field, never its value', (t) => {
  const cut = t.throws(() => codec.decode(transferBytes.subarray(0, 40)), { instanceOf: QuancunError });
  t.is(cut?.code, 'BANK_PROTOCOL');
  t.regex(cut!.message, /^field \d+: /);
  const extra = t.throws(() => codec.decode(Buffer.concat([signOnBytes, hex('00')])), { instanceOf: QuancunError });
  t.regex(extra!.message, /1 bytes after the last field/);
  const long = t.throws(() => codec.encode({ mti: '0200', fields: { 2: '62170000100000000180123' } }), { instanceOf: QuancunError });
  t.is(long?.message, 'field 2: length 23, profile says at most 19');
  t.notRegex(long!.message, /6217/);
  const undeclared = t.throws(() => codec.encode({ mti: '0200', fields: { 5: '1' } }), { instanceOf: QuancunError });
  t.regex(undeclared!.message, /field 5 is not in the bank profile/);
});

// 2-byte binary length 0x003C = 60 | TPDU 60 0003 0000 | header 603100000000 | 49-byte body
const signOnFrame = Buffer.concat([hex('003C', '6000030000', '603100000000'), signOnBytes]);
// A response swaps TPDU destination and source: 60 0000 0003; 0x0068 = 104 = 11 + 93-byte body
const signOnAnswerFrame = Buffer.concat([hex('0068', '6000000003', '603100000000'), signOnAnswerBytes]);

test('frames carry the length, TPDU and header; a response swaps the TPDU addresses', (t) => {
  t.deepEqual(frame(profile.framing, signOnBytes, 'request'), signOnFrame);
  t.deepEqual(frame(profile.framing, signOnAnswerBytes, 'response'), signOnAnswerFrame);
});

test('the frame decoder handles frames split across chunks and coalesced into one', (t) => {
  const stream = Buffer.concat([signOnFrame, signOnAnswerFrame, signOnFrame]);
  const whole = new FrameDecoder(profile.framing).push(stream);
  t.deepEqual(whole, [signOnBytes, signOnAnswerBytes, signOnBytes]);

  const byteByByte = new FrameDecoder(profile.framing);
  const got: Buffer[] = [];
  for (const b of stream) got.push(...byteByByte.push(Buffer.from([b])));
  t.deepEqual(got, [signOnBytes, signOnAnswerBytes, signOnBytes]);

  // Split inside the length prefix, inside the header, and with the end of one frame and the start of the next.
  const d = new FrameDecoder(profile.framing);
  t.deepEqual(d.push(stream.subarray(0, 1)), []);
  t.deepEqual(d.push(stream.subarray(1, 9)), []);
  t.deepEqual(d.push(stream.subarray(9, 70)), [signOnBytes]);
  t.deepEqual(d.push(stream.subarray(70)), [signOnAnswerBytes, signOnBytes]);
});

test('a frame with a foreign TPDU id or an impossible length breaks the stream', (t) => {
  const wrongId = Buffer.from(signOnFrame);
  wrongId[2] = 0x70;
  t.is(t.throws(() => new FrameDecoder(profile.framing).push(wrongId), { instanceOf: QuancunError })?.code, 'BANK_PROTOCOL');
  t.regex(t.throws(() => new FrameDecoder(profile.framing).push(hex('FFFF00')))!.message, /frame length 65535 is impossible/);
});

// Profile fixtures: the shipped profile with one mistake each, written to a file and loaded from it.
const fixtures: ProfileMistake[] = [
  ['unknown-format', (p) => (p.fields.find((f: any) => f.no === 52).format = 'x'), /field 52\.format: Invalid option/],
  ['duplicate-field', (p) => p.fields.push({ no: 4, format: 'n', length: 12 }), /field 4: declared twice/],
  ['overlapping-subfields', (p) => (p.fields.find((f: any) => f.no === 60).subfields[1].offset = 1), /field 60: subfields type and batch overlap/],
  ['missing-template', (p) => delete p.templates.reversal, /templates\.reversal: missing template/],
  ['undeclared-field', (p) => (p.templates.transfer.request.fields['5'] = '1'), /templates\.transfer\.request field 5: field 5 is not declared/],
  ['unknown-variable', (p) => (p.templates.echo.request.fields['41'] = '{terminal}'), /templates\.echo\.request field 41: unknown variable \{terminal\}/],
  ['literal-too-long', (p) => (p.templates.transfer.request.fields['3'] = '4000000'), /templates\.transfer\.request field 3: literal does not fit the field \(field 3: length 7, profile says 6\)/],
  ['mac-field-not-binary', (p) => (p.mac.field = 63), /mac\.field: field 63 must be declared as b, fixed, 8 bytes/],
];
profileMistakeTests(PROFILE_PATH, fixtures);

test('a profile file that is not JSON names the file, line and column', async (t) => {
  const path = join(await tempDir(t), 'broken.json');
  writeFileSync(path, '{ "id": ');
  const err = t.throws(() => loadBankProfile(path), { instanceOf: QuancunError });
  t.is(err?.code, 'CONFIG_INVALID');
  t.is(err!.message, `${path}:1:9: Unexpected end of JSON input`);
});
