/**
 * The bank's reconciliation file (对账文件) in the layouts of both shipped profiles, read as `quancun reconcile` reads
 * it (latin1). Seeds are files the bank simulator's formatter writes: transfers and reversals, one line and three.
 */
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { formatBankFile, parseBankFile, type BankFileRecord } from '../../gateway/reconcile/bank-file.ts';
import { attempt, bound, messageBytes, whole, type FuzzTarget } from './target.ts';

const layouts = ['unionpay', 'ascii-x919'].map((id) => loadBankProfile(bankProfilePath(id)).reconciliation);
const transfer: BankFileRecord = {
  kind: 'transfer', date: '20261128', time: '093015', terminalId: 'QC000001', campusAccount: '2023010001',
  pan: '6217000010000000018', stan: 5, bankRef: '000000000003', campusRef: 'K002-00000003', amount: 10000,
};
const reversal: BankFileRecord = { ...transfer, kind: 'reversal', time: '093512' };
const seeds = layouts.flatMap((l) => [[transfer], [transfer, reversal, { ...transfer, stan: 999999, amount: 99999999 }]]
  .map((records) => Buffer.from(formatBankFile(l, records), 'latin1')));

export const reconFileTarget: FuzzTarget = {
  name: 'recon-file',
  about: "the bank's fixed-width reconciliation file, in both shipped profiles' layouts",
  inputs: whole(messageBytes(seeds)),
  run([file]) {
    const text = file!.toString('latin1');
    for (const layout of layouts) {
      const records = attempt(() => parseBankFile(layout, text, 'fuzz.txt'));
      if (!Array.isArray(records)) continue;
      bound(records.length <= text.split('\n').length, 'more records than lines');
      for (const r of records as BankFileRecord[]) {
        bound(Number.isSafeInteger(r.stan) && Number.isSafeInteger(r.amount), 'a STAN or amount that is not an exact integer');
      }
    }
  },
};
