/**
 * The bank's daily reconciliation file in the layouts of both shipped profiles, against lines written out by hand:
 * numeric columns right-aligned with zeros, text left-aligned with spaces, the profile's trade codes and line ends.
 */
import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { bankFileName, formatBankFile, parseBankFile, type BankFileRecord } from '../../gateway/reconcile/bank-file.ts';

const unionpay = loadBankProfile(bankProfilePath('unionpay')).reconciliation;
const asciiX919 = loadBankProfile(bankProfilePath('ascii-x919')).reconciliation;

const transfer: BankFileRecord = {
  kind: 'transfer', date: '20261128', time: '093015', terminalId: 'QC000001', campusAccount: '2023010001', pan: '6217000010000000018',
  stan: 5, bankRef: '000000000003', campusRef: 'K002-00000003', amount: 10000,
};
const reversal: BankFileRecord = { ...transfer, kind: 'reversal', time: '093512' };

test('unionpay: trade code 2 | campus account 10 | card 20 | campus serial (STAN) 8 | bank serial 20 | amount 9 | CRLF', (t) => {
  const text = [
    '01' + '2023010001' + '6217000010000000018 ' + '00000005' + '000000000003        ' + '000010000' + '\r\n',
    '02' + '2023010001' + '6217000010000000018 ' + '00000005' + '000000000003        ' + '000010000' + '\r\n',
  ].join('');
  t.is(formatBankFile(unionpay, [transfer, reversal]), text);
  // Columns the layout does not carry come back empty.
  const blank = { date: '', time: '', terminalId: '', campusRef: '' };
  t.deepEqual(parseBankFile(unionpay, text, 'f'), [{ ...transfer, ...blank }, { ...reversal, ...blank }]);
  t.is(bankFileName(unionpay, '2026-11-28', 'QC000001'), 'QC000001_20261128.txt');
});

test('ascii-x919: date, time, terminal, STAN 6, card 19, amount 12, bank ref 12, campus ref 16, trade code 4 | LF', (t) => {
  const text = '20261128' + '093015' + 'QC000001' + '000005' + '6217000010000000018' + '000000010000' + '000000000003' + 'K002-00000003   ' + '0200' + '\n';
  t.is(formatBankFile(asciiX919, [transfer]), text);
  t.deepEqual(parseBankFile(asciiX919, text, 'f'), [{ ...transfer, campusAccount: '' }]);
  t.is(bankFileName(asciiX919, '2026-11-28', 'QC000001'), 'JZ20261128.DAT');
});

test('a line that does not fit the layout is BANK_PROTOCOL naming the file and the line', (t) => {
  const good = formatBankFile(unionpay, [transfer]);
  const short = t.throws(() => parseBankFile(unionpay, good + good.slice(1), 'day.txt'), { instanceOf: QuancunError });
  t.is(short?.code, 'BANK_PROTOCOL');
  t.is(short?.message, 'day.txt line 2: 68 characters, the layout has 69');
  t.is(t.throws(() => parseBankFile(unionpay, `09${good.slice(2)}`, 'day.txt'))?.message, 'day.txt line 1: unknown trade code "09"');
  t.is(t.throws(() => parseBankFile(unionpay, `${good.slice(0, 60)}00001000X\r\n`, 'day.txt'))?.message, 'day.txt line 1: amount is not numeric');
});
