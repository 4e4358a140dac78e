/**
 * Credits the campus itself funds and owes a card — a subsidy, a fee refund, a batch transfer's approval — with no
 * bank involved: the card proves each one as it proves a torn load (credit-mac.ts), and the card's counter decides
 * once a MAC2 was issued. One journaled record per credit (CAMPUS_CREDIT_MACHINE); its ledger posting is written in
 * the batch of each state: pending while owed, final once the TAC verified, expired when it went back to the campus.
 * Each source has an owner (gateway/subsidies/ for subsidies, gateway/fees/ for fee refunds) that registers here and
 * creates its credits, in one batch with its own records.
 */
import { KeyedQueue } from '../../common/keyed-queue.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { CreditSource, OpRequest, OpResponse } from '../../common/api/topics.ts';
import { JournaledMachine, type JournalRecord, type MachineSpec } from '../../common/store/journaled-machine.ts';
import type { DurableStore, Op } from '../../common/store/durable-store.ts';
import { timerAt, type TimerAt } from '../../common/timer-at.ts';
import type { CampusLedger, PostingStatus } from '../ledger/campus-ledger.ts';
import type { KeyStore } from '../keystore/key-store.ts';
import { freshMac2, tacVerifies, type IssuedCredit } from './credit-mac.ts';

export type CampusSource = Exclude<CreditSource, 'load'>;

export type CampusCreditState =
  /** Owed, no MAC2 ever issued: the card's counter is not bound yet, and the credit may still expire. */
  | 'owed'
  /** A MAC2 was issued for the journaled counter: only the card can tell whether it applied; never expired from here. */
  | 'mac2-issued'
  /** The card's TAC verified: final posting. */
  | 'completed'
  /** The card answered with a TAC that does not verify: held for an operator. */
  | 'tac-failed'
  /** Not collected by its expiry: back to the campus. */
  | 'expired';

export const CAMPUS_CREDIT_MACHINE: MachineSpec<CampusCreditState> = {
  name: 'credit',
  transitions: {
    owed: ['mac2-issued', 'expired'],
    // A fresh MAC2 for a credit that did not apply is journaled as the same state.
    'mac2-issued': ['mac2-issued', 'completed', 'tac-failed'],
    completed: [],
    'tac-failed': [],
    expired: [],
  },
};

export interface CampusCreditRecord extends JournalRecord<CampusCreditState>, Partial<Omit<IssuedCredit, 'id' | 'asn' | 'amount'>> {
  source: CampusSource;
  asn: string;
  campusAccount: string;
  amount: number;
  /** Shown to the cardholder (a subsidy's reason and period). */
  label?: string;
  /** The kiosk where the credit arose (a fee refund: where the fee was paid); absent for one the campus issued. */
  kioskId?: string;
  /** The last campus day it can be collected (yyyy-mm-dd), and the instant that day ends. */
  expires?: string;
  expiresAt?: string;
  mac2?: string;
  tac?: string;
  newBalance?: number;
  /** The kiosk that last asked for its MAC2. */
  collector?: string;
  recredits?: number;
  code?: ErrorCode;
}

export type NewCredit = Pick<CampusCreditRecord, 'id' | 'source' | 'asn' | 'campusAccount' | 'amount' | 'label' | 'kioskId' | 'expires' | 'expiresAt'>;

/** What a source's owner tells the credits about its own. */
export interface CreditOwner {
  source: CampusSource;
  /**
   * The code a kiosk gets for a credit of this source that expired before it reached the card; none for a source
   * whose credits never expire (a fee refund: the cardholder's own money, owed until written).
   */
  expiredCode?: ErrorCode;
  /** Writes of the owner's own for the batch that ends one of its credits (completed, tac-failed, expired). */
  ended?(credit: CampusCreditRecord): Op[];
}

export interface CampusCreditsOptions {
  store: DurableStore;
  ledger: CampusLedger;
  keys: KeyStore;
  purseLimit: number;
  timeZone: string;
  log: Logger;
  /** Whether the card has a load whose MAC2 only its counter can decide: a credit now would move that counter. */
  loadInDoubt: (asn: string) => Promise<boolean>;
  now?: () => Date;
  /** How soon an expiry the store refused is tried again (default a minute); tests shorten it. */
  expiryRetryMs?: number;
}

const openPrefix = (asn: string) => `gw/card-credit/${asn.toUpperCase()}/`;
const openOp = (r: CampusCreditRecord): Op => ({ type: 'put', key: openPrefix(r.asn) + r.id, value: r.id });
const closeOp = (r: CampusCreditRecord): Op => ({ type: 'del', key: openPrefix(r.asn) + r.id });

export class CampusCredits {
  readonly credits: JournaledMachine<CampusCreditState, CampusCreditRecord>;
  readonly #owners = new Map<CampusSource, CreditOwner>();
  /** Each credit's turn: a kiosk's recredit and confirm and the expiry never write over one another. */
  readonly #turns = new KeyedQueue();
  readonly #now: () => Date;
  #timer: TimerAt | undefined;
  #running = false;

  constructor(private readonly o: CampusCreditsOptions) {
    this.credits = new JournaledMachine(o.store, 'gw/credit', CAMPUS_CREDIT_MACHINE);
    this.#now = o.now ?? (() => new Date());
  }

  register(owner: CreditOwner): void {
    this.#owners.set(owner.source, owner);
  }

  /** Owes the cards these credits, with their pending postings, in one batch with `alongside` (the owner's records). */
  async owe(credits: NewCredit[], alongside: Op[] = []): Promise<CampusCreditRecord[]> {
    // A source whose credits never expire has no code to refuse one with: an expiry given for it is a caller's mistake.
    for (const c of credits) if (c.expiresAt === undefined) this.#owner(c.source); else this.#expiredCode(c.source);
    const created = await this.credits.createAll(
      credits.map((c) => ({ ...c, state: 'owed' as const })),
      [...credits.flatMap((c) => [openOp(c as CampusCreditRecord), ...this.#posting(c, 'pending')]), ...alongside],
    );
    if (this.#running) await this.#arm();
    return created;
  }

  /** The card's credits not yet ended, oldest id first; one whose expiry passed and is still `owed` is not offered. */
  async open(asn: string): Promise<CampusCreditRecord[]> {
    const entries = await this.o.store.list<string>(openPrefix(asn));
    const records = await Promise.all(entries.map((e) => this.credits.get(e.value)));
    return records.filter((r): r is CampusCreditRecord => r !== undefined && !this.#ended(r) && !this.#expiredBy(r, this.#now()));
  }

  /**
   * As card.lookup lists them: one whose MAC2 was issued first. Only the card's counter decides it, every other credit
   * of the card is refused until it is decided (recredit), and a kiosk writes the list in order and stops at the first
   * it cannot write: listed behind one of those, it would never be reached.
   */
  async owed(asn: string): Promise<OpResponse<'card.lookup'>['pendingLoads']> {
    const open = await this.open(asn);
    const inDoubt = (r: CampusCreditRecord) => (r.state === 'mac2-issued' ? 0 : 1);
    return open.sort((a, b) => inDoubt(a) - inDoubt(b)).map((r) => ({
      pendingId: r.id, source: r.source, amount: r.amount,
      ...(r.state === 'mac2-issued' ? { onlineCounter: r.onlineCounter!, oldBalance: r.oldBalance! } : {}),
      ...(r.label ? { label: r.label } : {}), ...(r.expires ? { expires: r.expires } : {}),
    }));
  }

  /** Whether a credit of the card other than `except` holds a MAC2 only the card's counter can decide. */
  async inDoubt(asn: string, except?: string): Promise<boolean> {
    return (await this.open(asn)).some((r) => r.state === 'mac2-issued' && r.id !== except);
  }

  async owns(id: string): Promise<boolean> {
    return (await this.credits.get(id)) !== undefined;
  }

  /**
   * A fresh MAC2 for the credit, journaled with the card's counter before it is answered. A credit still `owed` whose
   * expiry passed is expired here instead, whatever the timer did, and an expired one is refused with its owner's code. Refused while another credit or a load of the card
   * is in doubt: this credit would move the counter that decides it.
   */
  recredit(kioskId: string, req: OpRequest<'load.recredit'>): Promise<OpResponse<'load.recredit'>> {
    return this.#turns.run(req.txnId, async () => {
      let record = await this.credits.require(req.txnId);
      if (this.#expiredBy(record, this.#now())) record = await this.#expire(record);
      if (record.state === 'expired') {
        throw new QuancunError(this.#expiredCode(record.source), `${record.id} expired after ${record.expires}`, { id: record.id });
      }
      if (record.state !== 'owed' && record.state !== 'mac2-issued') {
        throw new QuancunError('TXN_STATE', `cannot credit a ${record.source} credit in state ${record.state}`, { id: record.id });
      }
      if (await this.inDoubt(record.asn, record.id) || await this.o.loadInDoubt(record.asn)) {
        throw new QuancunError('PENDING_LOAD_FIRST', 'another credit of the card waits for its counter to decide it', { id: record.id });
      }
      const fresh = freshMac2(this.o.keys, record, req, { purseLimit: this.o.purseLimit, now: this.#now(), timeZone: this.o.timeZone });
      record = await this.credits.advance(record, 'mac2-issued', { ...fresh, collector: kioskId, recredits: (record.recredits ?? 0) + 1 });
      this.o.log.info('MAC2 issued for a campus-funded credit', { id: record.id, source: record.source, kioskId, recredits: record.recredits });
      return { mac2: fresh.mac2, hostDate: fresh.hostDate, hostTime: fresh.hostTime };
    });
  }

  /** The card's TAC for the MAC2 last issued: the final posting, or held for an operator when it does not verify. */
  confirm(kioskId: string, req: OpRequest<'load.confirm'>): Promise<OpResponse<'load.confirm'>> {
    return this.#turns.run(req.txnId, async () => {
      const record = await this.credits.require(req.txnId);
      if (record.state === 'completed') return { posting: 'final', tacVerified: true };
      if (record.state !== 'mac2-issued') throw new QuancunError('TXN_STATE', `cannot confirm a credit in state ${record.state}`, { id: record.id });
      if (!tacVerifies(this.o.keys, record as CampusCreditRecord & IssuedCredit, req)) {
        await this.credits.advance(record, 'tac-failed', { tac: req.tac, newBalance: req.newBalance, code: 'CARD_TAC_INVALID' }, this.#endOps(record, null));
        this.o.log.error('TAC of a campus-funded credit does not verify: held for an operator', { id: record.id, kioskId });
        throw new QuancunError('CARD_TAC_INVALID', 'the card TAC does not verify');
      }
      await this.credits.advance(record, 'completed', { tac: req.tac, newBalance: req.newBalance, collector: kioskId }, this.#endOps(record, 'final'));
      return { posting: 'final', tacVerified: true };
    });
  }

  /** Expires what is due (also what expired while the gateway was stopped) and arms the timer for the next one. */
  async start(): Promise<void> {
    this.#running = true;
    await this.expireDue();
  }

  stop(): void {
    this.#running = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Every `owed` credit whose expiry passed goes back to the campus; one with a MAC2 issued waits for its card. */
  async expireDue(): Promise<CampusCreditRecord[]> {
    const now = this.#now();
    const due = (await this.credits.unfinished()).filter((r) => r.state === 'owed' && this.#expiredBy(r, now));
    const expired: CampusCreditRecord[] = [];
    for (const r of due) {
      const done = await this.#turns.run(r.id, async () => {
        const current = await this.credits.require(r.id);
        return current.state === 'owed' ? this.#expire(current) : undefined;
      });
      if (done) expired.push(done);
    }
    if (this.#running) await this.#arm();
    return expired;
  }

  async #arm(): Promise<void> {
    this.#timer?.cancel();
    const next = (await this.credits.unfinished())
      .filter((r) => r.state === 'owed' && r.expiresAt !== undefined)
      .map((r) => Date.parse(r.expiresAt!))
      .sort((a, b) => a - b)[0];
    if (next === undefined || !this.#running) return;
    this.#expireAt(next);
  }

  /** Expires what is due at `at`; an expiry our side failed (the store refused it) is tried again, not left until the next start. */
  #expireAt(at: number): void {
    this.#timer = timerAt(at, () => void this.expireDue().catch((err: unknown) => {
      const retryMs = this.o.expiryRetryMs ?? 60_000;
      this.o.log.error('credit expiry failed; tried again later', { error: err as Error, nextInMs: retryMs });
      if (this.#running) this.#expireAt(this.#now().getTime() + retryMs);
    }), () => this.#now().getTime());
  }

  async #expire(record: CampusCreditRecord): Promise<CampusCreditRecord> {
    const expired = await this.credits.advance(record, 'expired', { code: this.#expiredCode(record.source) }, this.#endOps(record, 'expired'));
    this.o.log.info('credit expired back to the campus', { id: record.id, source: record.source, amount: record.amount });
    return expired;
  }

  /** The batch that ends a credit: its posting (none for a TAC held for an operator: it stays pending), the open index, the owner's writes. */
  #endOps(record: CampusCreditRecord, status: PostingStatus | null): Op[] {
    return [...(status ? this.#posting(record, status) : []), closeOp(record), ...(this.#owner(record.source).ended?.(record) ?? [])];
  }

  #posting(c: NewCredit, status: PostingStatus): Op[] {
    return this.o.ledger.postingOps({ txnId: c.id, campusAccount: c.campusAccount, amount: c.amount, status, source: c.source });
  }

  #ended(r: CampusCreditRecord): boolean {
    return this.credits.spec.transitions[r.state].length === 0;
  }

  #expiredBy(r: CampusCreditRecord, now: Date): boolean {
    return r.state === 'owed' && r.expiresAt !== undefined && Date.parse(r.expiresAt) <= now.getTime();
  }

  #expiredCode(source: CampusSource): ErrorCode {
    const code = this.#owner(source).expiredCode;
    if (!code) throw new QuancunError('INTERNAL', `credits of source ${source} do not expire`);
    return code;
  }

  #owner(source: CampusSource): CreditOwner {
    const owner = this.#owners.get(source);
    if (!owner) throw new QuancunError('INTERNAL', `no owner registered for credits of source ${source}`);
    return owner;
  }
}
