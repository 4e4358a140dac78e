/**
 * The kiosk's journal on LevelDB: transaction records (one journaled machine per flow) and the transaction id
 * sequence. Ids are `<kioskId>-<seq>`, the sequence reserved with a synced write before an id is handed out, so ids
 * stay unique across restarts and crashes (a crash may skip a number, never repeat one).
 */
import { DurableStore } from '../../common/store/durable-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { LOAD_MACHINE, type LoadRecord, type LoadState } from '../flows/load/load-machine.ts';

const SEQ_KEY = 'meta/txn-seq';

export class KioskJournal {
  readonly store: DurableStore;
  readonly loads: JournaledMachine<LoadState, LoadRecord>;

  constructor(
    path: string,
    private readonly kioskId: string,
  ) {
    this.store = new DurableStore(path);
    this.loads = new JournaledMachine(this.store, 'txn/load', LOAD_MACHINE);
  }

  open(): Promise<void> {
    return this.store.open();
  }

  close(): Promise<void> {
    return this.store.close();
  }

  async nextTxnId(): Promise<string> {
    const seq = ((await this.store.get<number>(SEQ_KEY)) ?? 0) + 1;
    await this.store.put(SEQ_KEY, seq);
    return `${this.kioskId}-${String(seq).padStart(8, '0')}`;
  }
}
