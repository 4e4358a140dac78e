/** Balance and history as the card itself keeps them (EF 0x18), in the form the records screen shows. */
import { readRecords, type PurseRecord } from '../card/purse.ts';
import type { CardChannel } from '../../hal/card-reader/card-reader.ts';
import type { TransactionRecord } from '../../screens/view-model.ts';

/** The purse keeps at most ten records. */
const CARD_RECORDS = 10;

/** PBOC transaction types that put money on the purse: 01 load to the e-deposit, 02 load to the e-purse. */
const LOAD_TYPES = new Set([0x01, 0x02]);

export function toTransactionRecord(r: PurseRecord): TransactionRecord {
  const load = LOAD_TYPES.has(r.type);
  return {
    time: `${r.date.slice(0, 4)}-${r.date.slice(4, 6)}-${r.date.slice(6, 8)} ${r.time.slice(0, 2)}:${r.time.slice(2, 4)}`,
    kind: load ? 'load' : 'purchase',
    amount: load ? r.amount : -r.amount,
    // The card stores only the terminal: that is the place it can tell.
    place: r.terminalId,
  };
}

export async function readCardRecords(channel: CardChannel): Promise<TransactionRecord[]> {
  return (await readRecords(channel, CARD_RECORDS)).map(toTransactionRecord);
}
