/**
 * The gateway's fee service (缴费): a fee paid from the card's purse to a biller. The gateway acts as the PSAM: MAC1
 * leaves only once the fee is journaled; the card's MAC2 and TAC are verified before the posting purse -> biller;
 * the biller is paid with the fee's id as its idempotency key, each try journaled first. A biller that refuses leaves
 * the amount owed back to the card: an owed credit of source `fee-refund` in the campus's owed credits
 * (gateway/credits/campus-credits.ts), created in the batch of the fee's `refund-owed`. Silence is not a refusal: a
 * payment that may have reached the biller stays `paying` and is asked again until the biller answers.
 */
import { campusTime } from '../../common/campus-time.ts';
import type { BillerConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { KeyedQueue } from '../../common/keyed-queue.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { OpRequest, OpResponse } from '../../common/api/topics.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { CardKeys, PurchaseInit } from '../keystore/card-keys.ts';
import { BillerClient, type BillerHealth } from './biller-client.ts';
import { GATEWAY_FEE_MACHINE, type GatewayFeeRecord, type GatewayFeeState } from './fee-machine.ts';
import type { CampusCredits } from '../credits/campus-credits.ts';

export interface FeeServiceOptions {
  store: DurableStore;
  ledger: CampusLedger;
  keys: CardKeys;
  billers: BillerConfig[];
  /** Where each biller really is, when it differs from the config (the embedded simulator's port). */
  billerUrls?: Map<string, string>;
  /** Where a fee's refund is owed (source `fee-refund`): written at the tap like any owed credit. */
  credits: CampusCredits;
  timeZone: string;
  log: Logger;
  now?: () => Date;
  /**
   * Whether a kiosk looked the card up lately (`card.lookup`, the records window): a kiosk decides a fee in doubt that
   * is not its own only for a card on its reader. Default: never, so only a fee's own kiosk decides it.
   */
  lookedUp?: (kioskId: string, asn: string) => boolean;
}

const seqKey = (terminalId: string) => `gw/fee-seq/${terminalId}`;
/**
 * The card's fees in doubt (MAC1 issued), indexed by card in the batch of each fee state: `card.lookup` reads the
 * card's few instead of scanning every fee ever paid. INDEXED marks a store whose older fees were indexed once.
 */
const doubtPrefix = (asn: string) => `gw/card-fee/${asn.toUpperCase()}/`;
const doubtOp = (r: GatewayFeeRecord): Op =>
  r.state === 'mac1-issued' ? { type: 'put', key: doubtPrefix(r.asn) + r.id, value: r.id } : { type: 'del', key: doubtPrefix(r.asn) + r.id };
const INDEXED = 'meta/fee-doubt-index';
/** The id of the owed credit that brings a fee's amount back: the pending id `card.lookup` lists. */
export const refundIdOf = (feeId: string): string => `${feeId}-refund`;
/** The fee a `fee-refund` credit brings back. */
export const feeIdOfRefund = (refundId: string): string => refundId.replace(/-refund$/, '');
const hex = (b: Buffer) => b.toString('hex').toUpperCase();

export class FeeService {
  readonly fees: JournaledMachine<GatewayFeeState, GatewayFeeRecord>;
  readonly #billers: Map<string, BillerClient>;
  /** One job at a time per fee (its confirm, a repeat of it, its resumption at start) and per terminal's sequence. */
  readonly #turns = new KeyedQueue();
  /** Fees whose payment may have reached a silent biller, by id: the timer of the next try. */
  readonly #later = new Map<string, NodeJS.Timeout>();
  #stopped = false;

  constructor(private readonly o: FeeServiceOptions) {
    this.fees = new JournaledMachine(o.store, 'gw/fee', GATEWAY_FEE_MACHINE, { alongside: (r) => [doubtOp(r)] });
    this.#billers = new Map(o.billers.map((b) => [b.id, new BillerClient(b, o.billerUrls?.get(b.id))]));
    // A refund never expires: the cardholder's own money, owed until the card holds it.
    o.credits.register({ source: 'fee-refund' });
  }

  /** Every configured biller with how it answered since the gateway started (the console's billers' health). */
  billers(): Array<Pick<BillerConfig, 'id' | 'kind' | 'name' | 'payTries' | 'maxAmount'> & { health: BillerHealth }> {
    return [...this.#billers.values()].map(({ config: { id, kind, name, payTries, maxAmount }, health }) => ({ id, kind, name, payTries, maxAmount, health }));
  }

  async lookup(_kioskId: string, req: OpRequest<'fee.lookup'>): Promise<OpResponse<'fee.lookup'>> {
    const biller = this.#biller(req.billerId);
    const found = await biller.lookup(req.account);
    return { billerId: biller.config.id, name: biller.config.name, account: req.account, holder: found.holder,
      ...(found.room ? { room: found.room } : {}), maxAmount: biller.config.maxAmount };
  }

  /**
   * The card's fees in doubt, as `card.lookup` lists them: MAC1 issued and neither confirmed nor abandoned. Only the
   * card's offline counter decides them, at its next tap at any kiosk. Read by scanning the unfinished fees.
   */
  async inDoubt(asn: string): Promise<NonNullable<OpResponse<'card.lookup'>['feesInDoubt']>> {
    return (await this.#inDoubt(asn)).map((r) => ({ txnId: r.id, billerId: r.billerId, amount: r.amount, offlineCounter: r.offlineCounter }));
  }

  /** An entry whose fee moved on by another path is skipped, not trusted. */
  async #inDoubt(asn: string): Promise<GatewayFeeRecord[]> {
    const ids = await this.o.store.list<string>(doubtPrefix(asn));
    const records = await Promise.all(ids.map((e) => this.fees.get(e.value)));
    return records.filter((r): r is GatewayFeeRecord => r?.state === 'mac1-issued');
  }

  /** Before the first lookup: a store from before the index gets its fees in doubt indexed, once. */
  async start(): Promise<void> {
    if (await this.o.store.get(INDEXED)) return;
    const inDoubt = (await this.fees.unfinished()).filter((r) => r.state === 'mac1-issued');
    await this.o.store.batch([...inDoubt.map(doubtOp), { type: 'put', key: INDEXED, value: new Date().toISOString() }]);
  }

  /** Checks everything a refusal can come from, then journals `mac1-issued` with the terminal's next sequence. */
  async begin(kioskId: string, req: OpRequest<'fee.begin'>): Promise<OpResponse<'fee.begin'>> {
    const existing = await this.fees.get(req.txnId);
    if (existing) {
      if (existing.state !== 'mac1-issued') throw new QuancunError('TXN_STATE', `fee ${req.txnId} is already ${existing.state}`);
      return { mac1: existing.mac1, terminalTxSeq: existing.terminalTxSeq, hostDate: existing.hostDate, hostTime: existing.hostTime };
    }
    // A purchase moves the offline counter that decides an earlier one, and replaces the proof GET TRANSACTION PROVE gives.
    const doubt = (await this.#inDoubt(req.asn))[0];
    if (doubt) throw new QuancunError('FEE_IN_DOUBT', 'an earlier fee of the card waits for its offline counter to decide it', { txnId: doubt.id });
    const biller = this.#biller(req.billerId);
    if (req.amount > biller.config.maxAmount) throw new QuancunError('FEE_AMOUNT_INVALID', `amount ${req.amount} > ${biller.config.maxAmount}`, { billerId: req.billerId });
    if (req.amount > req.card.balance) throw new QuancunError('CARD_BALANCE_INSUFFICIENT', `amount ${req.amount} > balance ${req.card.balance}`);
    const account = await this.o.ledger.accountByAsn(req.asn);
    await biller.lookup(req.account);
    const { dateDigits: hostDate, timeDigits: hostTime } = campusTime((this.o.now ?? (() => new Date()))(), this.o.timeZone);
    const record = await this.#turns.run(seqKey(req.terminalId), async () => {
      // The PSAM's transaction sequence: one per terminal, never used twice, reserved in the batch that issues MAC1.
      const terminalTxSeq = ((await this.o.store.get<number>(seqKey(req.terminalId))) ?? 0) + 1;
      const base = {
        id: req.txnId, state: 'mac1-issued' as const, kioskId, campusAccount: account.campusAccount, asn: req.asn.toUpperCase(),
        billerId: req.billerId, account: req.account, amount: req.amount, terminalId: req.terminalId,
        offlineCounter: req.card.offlineCounter, random: req.card.random, terminalTxSeq, hostDate, hostTime,
      };
      const mac1 = hex(this.o.keys.issuePurchaseMac1(purchaseOf(base)));
      return this.fees.create({ ...base, mac1 }, [{ type: 'put', key: seqKey(req.terminalId), value: terminalTxSeq }]);
    });
    this.o.log.info('fee MAC1 issued', { txnId: req.txnId, kioskId, billerId: req.billerId, amount: req.amount });
    return { mac1: record.mac1, terminalTxSeq: record.terminalTxSeq, hostDate, hostTime };
  }

  /** The card debited itself: proof verified, posting held, then the biller paid (or the amount owed back). */
  confirm(kioskId: string, req: OpRequest<'fee.confirm'>): Promise<OpResponse<'fee.confirm'>> {
    return this.#turns.run(req.txnId, async () => {
      let record = await this.#require(kioskId, req.txnId);
      const decidedBy = this.#decidedBy(kioskId, record);
      if (record.state === 'mac1-issued') {
        const proof = this.o.keys.verifyPurchase(purchaseOf(record), { mac2: Buffer.from(req.mac2, 'hex'), tac: Buffer.from(req.tac, 'hex') });
        if (!proof.mac2 || !proof.tac) {
          const code = proof.mac2 ? 'CARD_TAC_INVALID' : 'CARD_MAC_INVALID';
          await this.fees.advance(record, 'proof-failed', { tac: req.tac, mac2: req.mac2, code, ...decidedBy });
          this.o.log.error('purchase proof does not verify: held for an operator', { txnId: record.id, kioskId, code });
          throw new QuancunError(code, `the card's ${proof.mac2 ? 'TAC' : 'MAC2'} of the purchase does not verify`, { txnId: record.id });
        }
        record = await this.fees.advance(record, 'debited', { tac: req.tac, mac2: req.mac2, ...decidedBy }, [this.#transfer(record, 'held')]);
      }
      // A fee already `paying` is the retry timer's (or the resumption's): its state is the answer.
      if (record.state === 'debited') record = await this.#pay(record, this.#biller(record.billerId).config.payTries);
      return answerOf(record);
    });
  }

  /** The card's counter shows the debit did not apply: the fee ends, nothing moved. */
  abandon(kioskId: string, req: OpRequest<'fee.abandon'>): Promise<OpResponse<'fee.abandon'>> {
    return this.#turns.run(req.txnId, async () => {
      const found = await this.fees.get(req.txnId);
      if (!found) {
        // fee.begin never reached us: recorded as ended, so a late one cannot issue a MAC1 for it.
        await this.fees.create({
          id: req.txnId, state: 'not-debited', kioskId, campusAccount: '', asn: '', billerId: '', account: '', amount: 0, terminalId: '',
          offlineCounter: 0, random: '', terminalTxSeq: 0, hostDate: '', hostTime: '', mac1: '', code: 'TXN_UNKNOWN',
        });
        return { state: 'not-debited' };
      }
      const record = await this.#require(kioskId, req.txnId);
      if (record.state === 'not-debited') return { state: 'not-debited' };
      if (record.state !== 'mac1-issued') throw new QuancunError('TXN_STATE', `cannot abandon a fee in state ${record.state}`, { txnId: record.id });
      const decidedBy = this.#decidedBy(kioskId, record);
      // Another kiosk has only the card's word that the debit did not apply: its counter, read at the tap.
      if (decidedBy.decidedBy && req.offlineCounter === undefined) {
        throw new QuancunError('TXN_STATE', 'a fee in doubt is abandoned from another kiosk only with the card\'s counter', { txnId: record.id });
      }
      if (req.offlineCounter !== undefined && req.offlineCounter !== record.offlineCounter) {
        throw new QuancunError('TXN_STATE', 'the card counter moved: the debit applied, confirm it with the card\'s proof', { txnId: record.id });
      }
      await this.fees.advance(record, 'not-debited', decidedBy);
      return { state: 'not-debited' };
    });
  }

  /**
   * At start: fees whose biller was owed a payment when the gateway stopped. One debited is paid (same id, its tries);
   * one `paying` is asked once at once — the try a stop interrupted may have been applied — then as its retry says.
   */
  async resume(): Promise<void> {
    this.#stopped = false;
    for (const record of (await this.fees.unfinished()).filter((r) => r.state === 'debited' || r.state === 'paying')) {
      await this.#turns.run(record.id, async () => {
        const now = await this.fees.require(record.id);
        return this.#pay(now, now.state === 'debited' ? this.#biller(now.billerId).config.payTries : 1);
      });
    }
  }

  /** No more tries are started; one in flight ends with the store and is asked again at the next start. */
  stop(): void {
    this.#stopped = true;
    for (const timer of this.#later.values()) clearTimeout(timer);
    this.#later.clear();
  }

  /**
   * Pays the biller, `tries` times at most, each try journaled `paying` first. A definite answer ends the fee: paid,
   * or refused (the amount owed back). An unanswered try that may have reached the biller (a timeout, a lost or
   * garbled answer, or a try a stop interrupted) may have been applied: the fee stays `paying` and the same payment
   * is asked again every `retryMs` until the biller answers. Only a fee no try of which can have reached the biller
   * (each connection refused) is owed back for the biller's silence.
   */
  async #pay(record: GatewayFeeRecord, tries: number): Promise<GatewayFeeRecord> {
    const biller = this.#biller(record.billerId);
    let reached = record.state === 'paying';
    let last: QuancunError | undefined;
    for (let i = 0; i < tries; i++) {
      record = await this.fees.advance(record, 'paying', { payTries: (record.payTries ?? 0) + 1 });
      try {
        const { receiptNo } = await biller.pay({ paymentId: record.id, account: record.account, amount: record.amount });
        this.o.log.info('fee paid', { txnId: record.id, billerId: record.billerId, receiptNo });
        return this.fees.advance(record, 'paid', { receiptNo }, [this.#transfer(record, 'final')]);
      } catch (err) {
        last = QuancunError.from(err);
        if (last.code !== 'BILLER_UNAVAILABLE') break;
        reached ||= last.details.sent !== false;
        this.o.log.warn('biller did not answer the payment', { txnId: record.id, try: record.payTries, sent: last.details.sent });
      }
    }
    if (last?.code === 'BILLER_UNAVAILABLE' && reached) {
      this.#askLater(record);
      return record;
    }
    const code = last?.code ?? 'BILLER_UNAVAILABLE';
    const refundId = refundIdOf(record.id);
    this.o.log.warn('biller not paid: the amount is owed back to the card', { txnId: record.id, code, refundId });
    // One batch: the fee's state, its transfer undone by the refund, the refund owed with its pending posting of the same amount.
    return this.fees.advance(record, 'refund-owed', { refundId, code }, [this.#transfer(record, 'undone', refundId)], (ops) => this.o.credits.owe([{
      id: refundId, source: 'fee-refund', asn: record.asn, campusAccount: record.campusAccount, amount: record.amount, kioskId: record.kioskId,
    }], ops));
  }

  /** The same payment asked again after the biller's `retryMs`, until it answers; the operator is told when its tries run out. */
  #askLater(record: GatewayFeeRecord): void {
    if (this.#stopped || this.#later.has(record.id)) return;
    const { retryMs, payTries } = this.#biller(record.billerId).config;
    this.o.log[record.payTries === payTries ? 'error' : 'warn']('biller silent after a payment it may have applied: asking again until it answers', {
      txnId: record.id, billerId: record.billerId, tries: record.payTries, nextInMs: retryMs,
    });
    this.#later.set(record.id, setTimeout(() => {
      this.#later.delete(record.id);
      void this.#turns.run(record.id, async () => {
        const now = await this.fees.require(record.id);
        if (now.state === 'paying') await this.#pay(now, 1);
      }).catch((err: Error) => {
        // Our side failed (the store refused the try's journal write): not the biller's answer, so asked again.
        this.o.log.error('fee payment retry failed; asked again later', { txnId: record.id, error: err });
        this.#askLater(record);
      });
    }, retryMs));
  }

  #transfer(record: GatewayFeeRecord, status: 'held' | 'final' | 'undone', undoneBy?: string): Op {
    return this.o.ledger.transferOp({
      txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, from: 'purse', to: `biller:${record.billerId}`, status,
      ...(undoneBy ? { undoneBy } : {}),
    });
  }

  #biller(id: string): BillerClient {
    const biller = this.#billers.get(id);
    if (!biller) throw new QuancunError('BILLER_UNKNOWN', `no biller ${id} in the configuration`, { billerId: id });
    return biller;
  }

  /**
   * A fee is its own kiosk's; another kiosk's word is taken for it while it is in doubt and that kiosk has the card
   * on its reader (it looked it up lately), and after, for repeating the decision it made.
   */
  async #require(kioskId: string, txnId: string): Promise<GatewayFeeRecord> {
    const record = await this.fees.require(txnId);
    if (record.kioskId === kioskId || record.decidedBy === kioskId) return record;
    if (record.state === 'mac1-issued' && this.o.lookedUp?.(kioskId, record.asn)) return record;
    throw new QuancunError('TXN_UNKNOWN', 'transaction belongs to another kiosk');
  }

  /** What a decision journals of who made it: nothing when the fee's own kiosk did. */
  #decidedBy(kioskId: string, record: GatewayFeeRecord): { decidedBy?: string } {
    return record.kioskId === kioskId ? {} : { decidedBy: kioskId };
  }
}

function purchaseOf(r: Pick<GatewayFeeRecord, 'asn' | 'amount' | 'terminalId' | 'offlineCounter' | 'random' | 'terminalTxSeq' | 'hostDate' | 'hostTime'>): PurchaseInit {
  return {
    asn: Buffer.from(r.asn, 'hex'), amount: r.amount, terminalId: Buffer.from(r.terminalId, 'hex'), offlineCounter: r.offlineCounter,
    random: Buffer.from(r.random, 'hex'), terminalTxSeq: r.terminalTxSeq, date: Buffer.from(r.hostDate, 'hex'), time: Buffer.from(r.hostTime, 'hex'),
  };
}

function answerOf(r: GatewayFeeRecord): OpResponse<'fee.confirm'> {
  if (r.state === 'paid') return { state: 'paid', receiptNo: r.receiptNo! };
  if (r.state === 'refund-owed') return { state: 'refund-owed', refundId: r.refundId!, code: r.code! };
  if (r.state === 'paying') return { state: 'paying', code: 'BILLER_UNAVAILABLE' };
  throw new QuancunError('TXN_STATE', `fee ${r.id} is ${r.state}`, { txnId: r.id });
}
