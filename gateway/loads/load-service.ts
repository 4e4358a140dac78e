/**
 * The gateway's load service: answers kiosk requests for a bank-to-card load. The bank is asked only after the
 * card proved itself (MAC1) and the binding was checked; MAC2 is issued only after the bank approved; the final
 * posting waits for a TAC that verifies. Every step is journaled first (see gateway-load-machine.ts).
 */
import { KeyedQueue } from '../../common/keyed-queue.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { OpRequest, OpResponse } from '../../common/api/topics.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { CampusAccount } from '../onecard/one-card-system.ts';
import type { KeyStore } from '../keystore/key-store.ts';
import { freshMac2, initOf, stampAt, stampOf, tacVerifies } from '../credits/credit-mac.ts';
import type { BankConnection } from '../banks.ts';
import { GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from './gateway-load-machine.ts';
import { ReversalQueue, type RetryPolicy } from '../saf/reversal-queue.ts';
import { closeLoadOp, openLoadOp, openLoads } from './open-loads.ts';

export interface LoadLimits {
  /** Largest single load, fen. */
  maxLoad: number;
  /** Largest purse balance a card may reach, fen. */
  purseLimit: number;
  /** How long kiosks ask for the same card back after a torn credit, seconds. */
  rePresentSeconds: number;
}

export interface LoadServiceOptions {
  store: DurableStore;
  ledger: CampusLedger;
  keys: KeyStore;
  banks: Map<string, BankConnection>;
  limits: LoadLimits;
  log: Logger;
  /** The campus's IANA time zone: a load's date and time on the card (CREDIT FOR LOAD, the card's records) are its. */
  timeZone: string;
  now?: () => Date;
  /** Backoff of the store-and-forward reversals (gateway/saf/). */
  reversalRetry?: Partial<RetryPolicy>;
  /**
   * Whether another credit of the card (gateway/credits/) holds a MAC2 whose outcome only the card's counter can
   * tell: a load now would move that counter and leave it undecidable.
   */
  creditInDoubt?: (asn: string) => Promise<boolean>;
}

const hex = (b: Buffer) => b.toString('hex').toUpperCase();

export class LoadService {
  readonly loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>;
  /** Every reversal owed, retried until the bank answers; the gateway starts and stops it. */
  readonly reversals: ReversalQueue;
  private readonly now: () => Date;

  /**
   * Each record's turn: the kiosk's confirm, recredit, park and abandon, and an operator's or
   * reconciliation's actions, read a record and write its next state one at a time, so none writes over a state
   * another wrote after it read (an operator's park over the kiosk's completed).
   */
  readonly #turns = new KeyedQueue();

  constructor(private readonly o: LoadServiceOptions) {
    this.loads = new JournaledMachine(o.store, 'gw/load', GATEWAY_LOAD_MACHINE);
    this.reversals = new ReversalQueue({
      records: this.loads, send: (record) => this.reverse(record), log: o.log, ...(o.reversalRetry ? { retry: o.reversalRetry } : {}),
      // Approved, a load's MAC2 is not yet journaled, so it has not gone out: the card cannot hold the credit.
      left: { 'bank-pending': { reason: '98', code: 'BANK_TIMEOUT' }, approved: { reason: '96', code: 'INTERNAL' } },
    });
    this.now = o.now ?? (() => new Date());
  }

  async lookup(_kioskId: string, req: OpRequest<'card.lookup'>): Promise<OpResponse<'card.lookup'>> {
    const account = await this.o.ledger.accountByAsn(req.asn);
    const bank = account.bankId ? this.o.banks.get(account.bankId) : undefined;
    return {
      holder: { name: account.name, staffNo: account.staffNo },
      campusAccount: account.campusAccount,
      bound: Boolean(bank && account.bankPan),
      ...(bank && account.bankPan
        ? { bankId: bank.id, bankAccountMasked: maskAccount(account.bankPan), pinPan12: pan12(account.bankPan) }
        : {}),
      limits: { maxLoad: this.o.limits.maxLoad, purseLimit: this.o.limits.purseLimit, rePresentSeconds: this.o.limits.rePresentSeconds },
      pendingLoads: (await this.pendingLoads(req.asn))
        .map((r) => ({ pendingId: r.id, source: 'load' as const, amount: r.amount, onlineCounter: r.onlineCounter, oldBalance: r.oldBalance })),
    };
  }

  /** The card's loads that wait as pending loads (圈存未领): what `card.lookup` and `records.query` list as owed. */
  async pendingLoads(asn: string): Promise<GatewayLoadRecord[]> {
    return (await openLoads(this.o.store, this.loads, asn)).filter((r) => r.state === 'pending-load');
  }

  /** Whether the card has a load whose MAC2 was issued and not yet settled: only the card's counter can decide it. */
  async inDoubt(asn: string): Promise<boolean> {
    return (await openLoads(this.o.store, this.loads, asn)).length > 0;
  }

  async authorize(kioskId: string, req: OpRequest<'load.authorize'>): Promise<OpResponse<'load.authorize'>> {
    const existing = await this.loads.get(req.txnId);
    if (existing) return this.answerRepeatedAuthorize(existing);

    let record = await this.loads.create({
      id: req.txnId,
      state: 'received',
      kioskId,
      campusAccount: '',
      asn: req.asn,
      amount: req.amount,
      terminalId: req.terminalId,
      oldBalance: req.card.oldBalance,
      onlineCounter: req.card.onlineCounter,
      random: req.card.random,
    });
    const log = this.o.log.child({ txnId: req.txnId, kioskId });

    let account: CampusAccount;
    let bank: BankConnection;
    let pinBlock: Buffer;
    try {
      account = await this.o.ledger.accountByAsn(req.asn);
      const bound = account.bankId ? this.o.banks.get(account.bankId) : undefined;
      if (!bound || !account.bankPan) throw new QuancunError('CARD_NOT_BOUND', 'card is not bound to a bank account');
      bank = bound;
      if (req.amount > this.o.limits.maxLoad) throw new QuancunError('AMOUNT_OVER_LOAD_LIMIT', `amount ${req.amount} > ${this.o.limits.maxLoad}`);
      if (req.card.oldBalance + req.amount > this.o.limits.purseLimit) {
        throw new QuancunError('AMOUNT_OVER_PURSE_LIMIT', `balance would exceed ${this.o.limits.purseLimit}`);
      }
      if (await this.inDoubt(req.asn) || await this.o.creditInDoubt?.(req.asn)) {
        throw new QuancunError('PENDING_LOAD_FIRST', 'the card is owed an earlier load: it is written first');
      }
      this.o.keys.card.verifyLoadMac1(initOf(record), Buffer.from(req.card.mac1, 'hex'));
      pinBlock = this.o.keys.translateKioskPin(req.terminalId, bank.id, Buffer.from(req.pinBlock, 'hex'));
    } catch (err) {
      const e = QuancunError.from(err);
      await this.loads.advance(record, 'rejected', { code: e.code });
      log.warn('load rejected before the bank', { code: e.code, reason: e.message });
      throw e;
    }

    // The STAN is reserved in the batch that journals bank-pending: a reversal after a crash finds it there.
    const received = record;
    record = await bank.stans.reserve((stan, reserve) =>
      this.loads.advance(received, 'bank-pending', { campusAccount: account.campusAccount, bankId: bank.id, stan }, [reserve]));
    // A record journaled `reversing` is owed its reversal; one the store left `bank-pending` or `approved` (it refused
    // the next write) is journaled `reversing` once the store takes it. Queued: the kiosk hears at once, without
    // waiting out a try that may be as slow as the transfer.
    return this.reversals.afterBankPending(req.txnId, () => this.debitAndIssue(record, req, account.bankPan!, bank, pinBlock, log));
  }

  /** From `bank-pending` on: the transfer, and the MAC2 once the bank approved it. */
  private async debitAndIssue(
    record: GatewayLoadRecord, req: OpRequest<'load.authorize'>, bankPan: string, bank: BankConnection, pinBlock: Buffer, log: Logger,
  ): Promise<OpResponse<'load.authorize'>> {
    try {
      const approval = await bank.link.transfer({
        stan: record.stan!,
        pan: bankPan,
        amount: req.amount,
        pinBlock,
        terminalId: bank.terminalId,
        merchantId: bank.merchantId,
        campusRef: req.txnId,
      });
      record = await this.loads.advance(
        record,
        'approved',
        { bankRef: approval.bankRef, ...this.stampNow() },
        this.o.ledger.postingOps({ txnId: req.txnId, campusAccount: record.campusAccount, amount: req.amount, status: 'provisional' }),
      );
    } catch (err) {
      const e = QuancunError.from(err);
      if (DEFINITELY_NOT_DEBITED.has(e.code)) {
        await this.loads.advance(record, 'declined', { code: e.code });
        log.info('bank declined', { code: e.code });
        throw e;
      }
      // The transfer may have been applied: only a reversal makes the outcome certain.
      record = await this.loads.advance(record, 'reversing', { code: e.code, reversalReason: e.code === 'BANK_MAC_INVALID' ? 'A0' : '98' });
      log.warn('bank outcome uncertain, reversing', { code: e.code });
      throw e.code === 'BANK_MAC_INVALID' ? e : new QuancunError('BANK_TIMEOUT', e.message, { txnId: req.txnId });
    }

    const mac2 = this.o.keys.card.issueLoadMac2(initOf(record), stampOf(record));
    record = await this.loads.advance(record, 'mac2-issued', { mac2: hex(mac2) }, [openLoadOp(record)]);
    log.info('load authorized', { amount: req.amount, bankRef: record.bankRef });
    return { mac2: record.mac2!, hostDate: record.hostDate!, hostTime: record.hostTime!, bankRef: record.bankRef! };
  }

  confirm(kioskId: string, req: OpRequest<'load.confirm'>): Promise<OpResponse<'load.confirm'>> {
    return this.#turns.run(req.txnId, () => this.confirmRecord(kioskId, req));
  }

  private async confirmRecord(kioskId: string, req: OpRequest<'load.confirm'>): Promise<OpResponse<'load.confirm'>> {
    let record = await this.require(kioskId, req.txnId);
    if (record.state === 'completed') return { posting: 'final', tacVerified: true };
    if (record.state !== 'mac2-issued' && record.state !== 'pending-load') {
      throw new QuancunError('TXN_STATE', `cannot confirm a load in state ${record.state}`);
    }
    if (!tacVerifies(this.o.keys, record, req)) {
      await this.loads.advance(record, 'tac-failed', { tac: req.tac, newBalance: req.newBalance, code: 'CARD_TAC_INVALID' }, [closeLoadOp(record)]);
      this.o.log.error('TAC does not verify: held for an operator', { txnId: req.txnId, kioskId });
      throw new QuancunError('CARD_TAC_INVALID', 'the card TAC does not verify');
    }
    record = await this.loads.advance(record, 'completed', { tac: req.tac, newBalance: req.newBalance, ...this.collectorOf(record, kioskId) }, [
      ...this.o.ledger.postingOps({ txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, status: 'final' }),
      closeLoadOp(record),
    ]);
    return { posting: 'final', tacVerified: true };
  }

  /**
   * A fresh MAC2 for a debit the card never received: the card's new INITIALIZE (MAC1 over its new random, same
   * counter) proves the earlier credit did not apply, and that earlier MAC2 died with its card session. The bank is not
   * asked again. A counter that moved means the credit applied: the kiosk confirms with the card's TAC instead.
   */
  recredit(kioskId: string, req: OpRequest<'load.recredit'>): Promise<OpResponse<'load.recredit'>> {
    return this.#turns.run(req.txnId, () => this.recreditRecord(kioskId, req));
  }

  private async recreditRecord(kioskId: string, req: OpRequest<'load.recredit'>): Promise<OpResponse<'load.recredit'>> {
    let record = await this.require(kioskId, req.txnId);
    if (record.state !== 'mac2-issued' && record.state !== 'pending-load') {
      throw new QuancunError('TXN_STATE', `cannot credit again a load in state ${record.state}`);
    }
    const fresh = freshMac2(this.o.keys, record, req, { purseLimit: this.o.limits.purseLimit, now: this.now(), timeZone: this.o.timeZone });
    record = await this.loads.advance(record, record.state, {
      ...fresh, recredits: (record.recredits ?? 0) + 1, ...this.collectorOf(record, kioskId),
    });
    this.o.log.info('fresh MAC2 for a credit that did not apply', { txnId: record.id, kioskId, recredits: record.recredits });
    return { mac2: fresh.mac2, hostDate: fresh.hostDate, hostTime: fresh.hostTime };
  }

  /** The card left during the credit and did not come back: the amount waits for the card's next tap (圈存未领). */
  park(kioskId: string, req: OpRequest<'load.park'>): Promise<OpResponse<'load.park'>> {
    return this.#turns.run(req.txnId, async () => {
      const record = await this.require(kioskId, req.txnId);
      if (record.state === 'pending-load' || record.state === 'completed') return { state: record.state };
      if (record.state !== 'mac2-issued') throw new QuancunError('TXN_STATE', `cannot park a load in state ${record.state}`);
      await this.parkRecord(record, { kioskId });
      return { state: 'pending-load' };
    });
  }

  /** The kiosk gave up before the card was sent the credit: whatever the bank debited must go back. */
  async abandon(kioskId: string, req: OpRequest<'load.abandon'>): Promise<OpResponse<'load.abandon'>> {
    const outcome = await this.#turns.run(req.txnId, () => this.abandonRecord(kioskId, req));
    // The try runs outside the record's turn: it may take as long as the bank's timeout.
    if (outcome === 'owed') return { outcome: (await this.reversals.owe(req.txnId)) ? 'reversed' : 'reversal-pending' };
    return { outcome };
  }

  /**
   * An operator's end for a load its kiosk left unfinished (gateway/loads/money-owed.ts says when one is offered):
   * `park` a `mac2-issued` load as 圈存未领 — the card's next tap at any kiosk writes it or, by its counter, proves it
   * was written — or `reverse` an `approved` one, whose MAC2 was never issued, so the card cannot hold the credit.
   * Refused when the record moved on since the operator saw it (`seenAt`, its updatedAt).
   */
  operatorEnd(txnId: string, action: 'park' | 'reverse', seenAt: string): Promise<GatewayLoadRecord> {
    return this.#turns.run(txnId, async () => {
      const record = await this.loads.require(txnId);
      const expected = action === 'park' ? 'mac2-issued' : 'approved';
      if (record.updatedAt !== seenAt || record.state !== expected) {
        throw new QuancunError('TXN_STATE', `${txnId} is ${record.state} and changed since it was shown: look again`, { txnId, state: record.state });
      }
      if (action === 'park') return this.parkRecord(record, { by: 'operator' });
      const reversing = await this.loads.advance(record, 'reversing', { reversalReason: '96', code: 'INTERNAL' }, [closeLoadOp(record)]);
      this.o.log.warn('load reversed by an operator: no MAC2 was issued', { txnId });
      void this.reversals.owe(txnId);
      return reversing;
    });
  }

  private async parkRecord(record: GatewayLoadRecord, who: Record<string, string>): Promise<GatewayLoadRecord> {
    const parked = await this.loads.advance(record, 'pending-load', {},
      this.o.ledger.postingOps({ txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, status: 'pending' }));
    this.o.log.info('load parked as pending (圈存未领)', { txnId: record.id, ...who });
    return parked;
  }

  private async abandonRecord(kioskId: string, req: OpRequest<'load.abandon'>): Promise<OpResponse<'load.abandon'>['outcome'] | 'owed'> {
    let record = await this.loads.get(req.txnId);
    if (!record) {
      // Never reached us: record the refusal so a late authorize with this id cannot debit.
      record = await this.loads.create({
        id: req.txnId, state: 'received', kioskId, campusAccount: '', asn: '', amount: 0, terminalId: '',
        oldBalance: 0, onlineCounter: 0, random: '',
      });
      await this.loads.advance(record, 'rejected', { code: 'TXN_UNKNOWN' });
      return 'not-debited';
    }
    if (record.kioskId !== kioskId) throw new QuancunError('TXN_UNKNOWN', 'transaction belongs to another kiosk');
    switch (record.state) {
      case 'received':
      case 'rejected':
      case 'declined':
        return 'not-debited';
      case 'approved':
      case 'mac2-issued':
        await this.loads.advance(record, 'reversing', { reversalReason: '96', code: 'TXN_STATE' }, [closeLoadOp(record)]);
        return 'owed';
      case 'reversing':
        return 'owed';
      case 'reversed':
        return 'reversed';
      case 'pending-load':
        return 'pending-load';
      default:
        throw new QuancunError('TXN_STATE', `cannot abandon a load in state ${record.state}`);
    }
  }

  async status(kioskId: string, req: OpRequest<'txn.status'>): Promise<OpResponse<'txn.status'>> {
    const record = await this.require(kioskId, req.txnId);
    return {
      txnId: record.id,
      state: record.state,
      amount: record.amount,
      final: this.loads.spec.transitions[record.state].length === 0,
      ...(record.mac2 ? { mac2: record.mac2, hostDate: record.hostDate!, hostTime: record.hostTime! } : {}),
    };
  }

  /**
   * At start, before serving: a load still `received` was stopped before the bank was asked (`bank-pending` is
   * journaled before the 0200), so nothing was debited: it ends `rejected`, and the kiosk's abandon gets not-debited.
   */
  async closeUnsent(): Promise<void> {
    for (const record of (await this.loads.all()).filter((r) => r.state === 'received')) {
      await this.loads.advance(record, 'rejected', { code: 'INTERNAL' });
      this.o.log.warn('load interrupted by a gateway stop before the bank was asked: rejected', { txnId: record.id, kioskId: record.kioskId });
    }
  }

  /**
   * One try of the 0400 (the queue in gateway/saf/ repeats it); true once the bank confirmed it. A failed try rejects
   * and leaves the record in `reversing`. Confirmed, the load ends `reversed` with a `reversed` posting in the same batch.
   */
  private async reverse(record: GatewayLoadRecord): Promise<boolean> {
    // A failure rejects: the queue logs it and keeps it as the reversal's last error.
    const answer = await this.sendReversal(record);
    await this.loads.advance(record, 'reversed', { reversalAnswer: answer.originalFound ? 'reversed' : 'not-found' },
      this.o.ledger.postingOps({ txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, status: 'reversed' }));
    this.o.log.info('reversal confirmed', { txnId: record.id, bankHadTransfer: answer.originalFound });
    return true;
  }

  /**
   * The 0400 of a load's transfer, and whether the bank had the transfer; nothing is journaled here. After a restart
   * or a lost session it waits for a sign-on, not for the next reconnect. The bank applies a reversal once, however
   * often it comes: reconciliation sends one again for a load journaled `reversed` that the bank's file still debits.
   */
  async sendReversal(record: GatewayLoadRecord): Promise<{ originalFound: boolean }> {
    const bank = record.bankId ? this.o.banks.get(record.bankId) : undefined;
    const account = await this.o.ledger.accountByAsn(record.asn);
    if (!bank || !account.bankPan || record.stan === undefined) throw new QuancunError('INTERNAL', `reversal of ${record.id} lacks its bank details`);
    if (!bank.link.signedOn) await bank.link.signOn();
    return bank.link.reverse(
      { stan: record.stan, pan: account.bankPan, amount: record.amount, terminalId: bank.terminalId, merchantId: bank.merchantId, campusRef: record.id },
      record.reversalReason ?? '06',
    );
  }

  /**
   * The record, if this kiosk may act on it: the kiosk that started it, or, once it is a pending load, any kiosk the
   * card is tapped at (which then becomes its collector).
   */
  private async require(kioskId: string, txnId: string): Promise<GatewayLoadRecord> {
    const record = await this.loads.require(txnId);
    if (record.kioskId === kioskId || record.collector === kioskId || record.state === 'pending-load') return record;
    throw new QuancunError('TXN_UNKNOWN', 'transaction belongs to another kiosk');
  }

  private stampNow(): { hostDate: string; hostTime: string } {
    return stampAt(this.now(), this.o.timeZone);
  }

  private collectorOf(record: GatewayLoadRecord, kioskId: string): { collector?: string } {
    return record.kioskId === kioskId ? {} : { collector: kioskId };
  }

  private answerRepeatedAuthorize(record: GatewayLoadRecord): OpResponse<'load.authorize'> {
    if (record.state === 'mac2-issued') {
      return { mac2: record.mac2!, hostDate: record.hostDate!, hostTime: record.hostTime!, bankRef: record.bankRef! };
    }
    throw new QuancunError(record.code ?? 'TXN_STATE', `transaction ${record.id} is already ${record.state}`);
  }
}

/** Answers that prove the bank did not debit. Anything else after sending may have been applied. */
export const DEFINITELY_NOT_DEBITED = new Set<ErrorCode>(['BANK_DECLINED', 'BANK_INSUFFICIENT_FUNDS', 'PIN_WRONG', 'BANK_NOT_SIGNED_ON', 'BANK_UNAVAILABLE']);

function pan12(pan: string): string {
  return pan.slice(-13, -1);
}

function maskAccount(pan: string): string {
  return `**** ${pan.slice(-4)}`;
}
