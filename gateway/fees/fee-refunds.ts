/**
 * Fee refunds owed to cards (source `fee-refund`), until the campus's general owed credits take them over: each one is
 * listed by `card.lookup` as a pending credit, and the kiosk's 领款 flow writes it with `load.recredit` and
 * `load.confirm` (the gateway hands those ids here). A refund's online counter is bound at its first MAC2: before
 * that no credit was ever issued, so it cannot be on the card; from then on the card's counter decides, as for a
 * pending load. The campus funds it: no bank is asked.
 */
import { campusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import { KeyedQueue } from '../../common/keyed-queue.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import { JournaledMachine, type JournalRecord, type MachineSpec } from '../../common/store/journaled-machine.ts';
import type { OpRequest, OpResponse } from '../../common/api/topics.ts';
import type { Logger } from '../../common/log.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { CardKeys, LoadInit, LoadStamp } from '../keystore/card-keys.ts';
import type { FeeRefund, OwedCredits } from './owed-credits.ts';

type RefundState = 'owed' | 'credited' | 'tac-failed';

const REFUND_MACHINE: MachineSpec<RefundState> = {
  name: 'fee-refund',
  // owed -> owed: a fresh MAC2 for a credit that did not reach the card.
  transitions: { owed: ['owed', 'credited', 'tac-failed'], credited: [], 'tac-failed': [] },
};

export interface FeeRefundRecord extends JournalRecord<RefundState>, FeeRefund {
  /** Bound at the first MAC2, and the fields it covers with it. */
  onlineCounter?: number;
  oldBalance?: number;
  terminalId?: string;
  random?: string;
  hostDate?: string;
  hostTime?: string;
  mac2?: string;
  tac?: string;
  collector?: string;
}

const PREFIX = 'gw/fee-refund';
const byCard = (asn: string) => `gw/card-refund/${asn.toUpperCase()}/`;

export interface FeeRefundsOptions {
  store: DurableStore;
  ledger: CampusLedger;
  keys: CardKeys;
  purseLimit: number;
  timeZone: string;
  log: Logger;
  now?: () => Date;
}

export class FeeRefunds implements OwedCredits {
  readonly refunds: JournaledMachine<RefundState, FeeRefundRecord>;
  readonly #turns = new KeyedQueue();

  constructor(private readonly o: FeeRefundsOptions) {
    this.refunds = new JournaledMachine(o.store, PREFIX, REFUND_MACHINE);
  }

  owe(refund: FeeRefund): Op[] {
    const at = new Date().toISOString();
    const record: FeeRefundRecord = { ...refund, id: refund.refundId, state: 'owed', history: [{ state: 'owed', at }], updatedAt: at };
    return [
      { type: 'put', key: `${PREFIX}/${refund.refundId}`, value: record },
      { type: 'put', key: byCard(refund.asn) + refund.refundId, value: refund.refundId },
      this.o.ledger.transferOp({ txnId: refund.refundId, campusAccount: refund.campusAccount, amount: refund.amount, from: 'campus', to: 'purse', status: 'owed' }),
    ];
  }

  /** True when `id` is a refund this service owes: the gateway sends its recredit and confirm here. */
  async owns(id: string): Promise<boolean> {
    return (await this.refunds.get(id)) !== undefined;
  }

  /** The card's refunds still owed, as `card.lookup` lists pending credits. */
  async pendingFor(asn: string): Promise<OpResponse<'card.lookup'>['pendingLoads']> {
    const ids = await this.o.store.list<string>(byCard(asn));
    const records = await Promise.all(ids.map((e) => this.refunds.get(e.value)));
    return records.filter((r): r is FeeRefundRecord => r?.state === 'owed').map((r) => ({
      pendingId: r.id, source: 'fee-refund' as const, amount: r.amount,
      ...(r.onlineCounter === undefined ? {} : { onlineCounter: r.onlineCounter, oldBalance: r.oldBalance! }),
    }));
  }

  /** A MAC2 for the refund, bound to the card's INITIALIZE FOR LOAD (its counter, balance and random). */
  recredit(kioskId: string, req: OpRequest<'load.recredit'>): Promise<OpResponse<'load.recredit'>> {
    return this.#turns.run(req.txnId, async () => {
      const record = await this.refunds.require(req.txnId);
      if (record.state !== 'owed') throw new QuancunError('TXN_STATE', `cannot credit a refund in state ${record.state}`);
      if (record.onlineCounter !== undefined && req.card.onlineCounter !== record.onlineCounter) {
        throw new QuancunError('TXN_STATE', 'the card counter moved since the MAC2 was issued: the credit was applied', {
          txnId: record.id, expected: record.onlineCounter, card: req.card.onlineCounter,
        });
      }
      if (req.card.oldBalance + record.amount > this.o.purseLimit) {
        throw new QuancunError('AMOUNT_OVER_PURSE_LIMIT', `balance would exceed ${this.o.purseLimit}`);
      }
      const fresh = { ...record, onlineCounter: req.card.onlineCounter, oldBalance: req.card.oldBalance, terminalId: req.terminalId, random: req.card.random };
      this.o.keys.verifyLoadMac1(initOf(fresh), Buffer.from(req.card.mac1, 'hex'));
      const { dateDigits: hostDate, timeDigits: hostTime } = campusTime((this.o.now ?? (() => new Date()))(), this.o.timeZone);
      const mac2 = this.o.keys.issueLoadMac2(initOf(fresh), stampOf({ hostDate, hostTime })).toString('hex').toUpperCase();
      const { onlineCounter, oldBalance, terminalId, random } = fresh;
      await this.refunds.advance(record, 'owed', {
        onlineCounter, oldBalance, terminalId, random, hostDate, hostTime, mac2, ...(record.kioskId === kioskId ? {} : { collector: kioskId }),
      });
      this.o.log.info('MAC2 for a fee refund', { refundId: record.id, kioskId });
      return { mac2, hostDate, hostTime };
    });
  }

  /** The card holds the refund: its TAC verified, the transfer campus -> purse is final. */
  confirm(kioskId: string, req: OpRequest<'load.confirm'>): Promise<OpResponse<'load.confirm'>> {
    return this.#turns.run(req.txnId, async () => {
      const record = await this.refunds.require(req.txnId);
      if (record.state === 'credited') return { posting: 'final', tacVerified: true };
      if (record.state !== 'owed' || record.mac2 === undefined) throw new QuancunError('TXN_STATE', `cannot confirm a refund in state ${record.state} with no MAC2 issued`);
      const bound = record as Required<FeeRefundRecord>;
      const close: Op = { type: 'del', key: byCard(record.asn) + record.id };
      if (req.onlineCounter !== bound.onlineCounter || req.newBalance !== bound.oldBalance + record.amount ||
          !this.o.keys.verifyLoadTac(initOf(bound), stampOf(bound), req.newBalance, Buffer.from(req.tac, 'hex'))) {
        await this.refunds.advance(record, 'tac-failed', { tac: req.tac }, [close]);
        this.o.log.error('fee refund TAC does not verify: held for an operator', { refundId: record.id, kioskId });
        throw new QuancunError('CARD_TAC_INVALID', 'the card TAC does not verify');
      }
      await this.refunds.advance(record, 'credited', { tac: req.tac }, [close,
        this.o.ledger.transferOp({ txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, from: 'campus', to: 'purse', status: 'final' })]);
      return { posting: 'final', tacVerified: true };
    });
  }
}

function initOf(r: { asn: string; amount: number; terminalId: string; oldBalance: number; onlineCounter: number; random: string }): LoadInit {
  return {
    asn: Buffer.from(r.asn, 'hex'), amount: r.amount, terminalId: Buffer.from(r.terminalId, 'hex'),
    oldBalance: r.oldBalance, onlineCounter: r.onlineCounter, random: Buffer.from(r.random, 'hex'),
  };
}

function stampOf(r: { hostDate: string; hostTime: string }): LoadStamp {
  return { date: Buffer.from(r.hostDate, 'hex'), time: Buffer.from(r.hostTime, 'hex') };
}
