/**
 * ISO 8583 messages as the console keeps and shows them, decoded from byte strings written out by hand, field by field
 * (docs/bank-integration.md, the unionpay profile): the card number masked to its first 6 and last 4 digits, track data
 * to its masked card number, the PIN block and working keys replaced by a marker, the MAC kept.
 */
import test from 'ava';
import { bankProfilePath } from '../../gateway/banks.ts';
import { createCodec } from '../../gateway/bank/iso8583/codec.ts';
import { viewMessage } from '../../gateway/bank/iso8583/message-view.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';

const profile = loadBankProfile(bankProfilePath('unionpay'));
const codec = createCodec(profile);
const hex = (...parts: string[]) => Buffer.from(parts.join('').replace(/\s/g, ''), 'hex');
const ascii = (s: string) => Buffer.from(s, 'ascii').toString('hex');

test('a 0200 transfer: PAN masked, PIN block not kept, MAC kept, 60 split into its subfields', (t) => {
  const bytes = hex(
    '0200', '70200480 00C09813', // bitmap: 2 3 4 | 11 | 22 | 25 | 41 42 | 49 52 53 | 60 63 64
    '19', '62170000100000000180', '400000', '000000001000', '000002', '0110', '00',
    ascii('QC000001'), ascii('898310048990001'), ascii('156'),
    'DECD0AF638E0474B', // 52: the PIN block
    '2600000000000000', '0008', '40000001', '0014', ascii('JX-A101-000042'),
    '0102030405060708', // 64: MAC
  );
  t.deepEqual(viewMessage(profile, codec.decode(bytes)), {
    mti: '0200', op: 'transfer', kind: 'request',
    fields: [
      { no: 2, name: 'primary account number', value: '621700*********0018', hidden: 'masked' },
      { no: 3, name: 'processing code', value: '400000' },
      { no: 4, name: 'amount, transaction', value: '000000001000' },
      { no: 11, name: 'system trace audit number', value: '000002' },
      { no: 22, name: 'point of service entry mode', value: '011' },
      { no: 25, name: 'point of service condition code', value: '00' },
      { no: 41, name: 'card acceptor terminal id', value: 'QC000001' },
      { no: 42, name: 'card acceptor id', value: '898310048990001' },
      { no: 49, name: 'currency code', value: '156' },
      { no: 52, name: 'PIN data', value: '(PIN block, not kept)', hidden: 'not kept' },
      { no: 53, name: 'security related control information', value: '2600000000000000' },
      { no: 60, name: 'reserved private (type, batch, network)', value: '40000001', subfields: [{ name: 'type', value: '40' }, { name: 'batch', value: '000001' }] },
      { no: 63, name: 'reserved private (operator, campus reference)', value: 'JX-A101-000042' },
      { no: 64, name: 'message authentication code', value: '0102030405060708' },
    ],
  });
});

test('a 0810 sign-on answer: the working keys of field 62 are not kept', (t) => {
  const bytes = hex(
    '0810', '00380000 02C00014', '000001', '115959', '1128', '3030', ascii('QC000001'), ascii('898310048990001'),
    '0011', '000000010030', '0040', 'A5DB0C2CE0E4E214B95D234DC68A5B34 08D7B4FB 6474E1619AB1D135217681B3A97E7699 491510CA',
  );
  const view = viewMessage(profile, codec.decode(bytes));
  t.like(view, { mti: '0810', op: 'signOn', kind: 'response' });
  t.deepEqual(view.fields.find((f) => f.no === 62), { no: 62, name: 'reserved private (working keys)', value: '(working keys, not kept)', hidden: 'not kept' });
  t.deepEqual(view.fields.find((f) => f.no === 39), { no: 39, name: 'response code', value: '00' });
  t.false(JSON.stringify(view).includes('A5DB0C2C'));
});

test('track 2 data keeps only the masked card number; a message no template knows has no operation', (t) => {
  // Field 35 alone: bitmap bit 35; LL 37 digits (BCD), "=" as nibble D, right-padded 0.
  const bytes = hex('0200', '00000000 20000000', '37', '6217000010000000018D', '30121010000000000', '0');
  t.deepEqual(viewMessage(profile, codec.decode(bytes)), {
    mti: '0200', op: null, kind: null,
    fields: [{ no: 35, name: 'track 2 data', value: '621700*********0018 (rest of the track not kept)', hidden: 'masked' }],
  });
});
