/**
 * Store-and-forward reversals (jPOS-SAF style). A reversal the gateway owes is its record in `reversing` (a load's, or
 * a standing transfer's of the batch transfer mode: one queue per journaled machine),
 * journaled before the first 0400 is sent; this queue sends it again with capped exponential backoff until the bank
 * answers (0410 approved, or "original not found": it never debited), and on every start resumes each `reversing`
 * record of the journal, so a gateway restart loses none. Only the reversal is ever repeated, never the transfer, and
 * the bank applies a repeated reversal once.
 */
import { backoffDelay } from '../../common/backoff.ts';
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { JournalRecord, JournaledMachine } from '../../common/store/journaled-machine.ts';
import type { ErrorCode } from '../../common/errors.ts';
import type { ReversalReason } from '../bank/bank-link.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../loads/gateway-load-machine.ts';

/** A record the queue can owe a reversal for. */
export interface ReversibleRecord<S extends string> extends JournalRecord<S> {
  code?: ErrorCode;
  reversalReason?: ReversalReason;
}

export interface RetryPolicy {
  /** Wait before the second try; doubled after each failed try. */
  minMs: number;
  /** The wait never grows beyond this. */
  maxMs: number;
  /** After this many failed tries an operator is told (error log); the queue keeps trying. */
  attentionAfter: number;
}

/** 3 tries before operator attention is the common practice (../shared/reference/iso8583-unionpay.md). */
export const DEFAULT_RETRY: RetryPolicy = { minMs: 2_000, maxMs: 120_000, attentionAfter: 3 };

/**
 * `records` is a machine with the states `bank-pending` (the transfer may be out), `reversing` (the 0400 is owed) and
 * `reversed`, the load machine's names.
 */
export interface ReversalQueueOptions<S extends string, R extends ReversibleRecord<S>> {
  records: JournaledMachine<S, R>;
  /**
   * One 0400 for the record; true once the bank confirmed and the record is `reversed`. It rejects with why a try
   * failed (no answer, no session...): the queue keeps that as the reversal's last error for the operator.
   */
  send(record: R): Promise<boolean>;
  log: Logger;
  retry?: Partial<RetryPolicy>;
  /**
   * The states in which a record's transfer may stand while its outcome reached no one (no MAC2 went out), with the
   * reversal's reason and the code journaled at start: at every start such a record is reversed, and so is one that
   * `owe(id, leftBy)` names, left there while the gateway runs when the store refused the next step. Default: only
   * `bank-pending` (98, BANK_TIMEOUT), the transfer the gateway stopped waiting for.
   */
  left?: Partial<Record<S, { reason: ReversalReason; code: ErrorCode }>>;
}

interface Owed {
  attempts: number;
  timer?: NodeJS.Timeout;
  /** When the timer fires (ms since the epoch). */
  nextAt?: number;
  lastError?: { code: string; message: string };
  /** The try in progress: a second `owe` while it runs waits for it instead of sending a second 0400 alongside. */
  running?: Promise<boolean>;
  /** Why its authorization left it in a `left` state: journaled with `reversing` before the first try. */
  leftBy?: ErrorCode;
}

export class ReversalQueue<S extends string = GatewayLoadState, R extends ReversibleRecord<S> = GatewayLoadRecord & ReversibleRecord<S>>
  extends EventEmitter<{ confirmed: [txnId: string, attempts: number]; failed: [txnId: string, attempts: number, delayMs: number] }> {
  readonly #o: ReversalQueueOptions<S, R>;
  readonly #retry: RetryPolicy;
  readonly #owed = new Map<string, Owed>();
  readonly #left: Partial<Record<string, { reason: ReversalReason; code: ErrorCode }>>;
  #stopped = false;

  constructor(options: ReversalQueueOptions<S, R>) {
    super();
    this.#o = options;
    this.#retry = { ...DEFAULT_RETRY, ...options.retry };
    this.#left = options.left ?? { 'bank-pending': { reason: '98', code: 'BANK_TIMEOUT' } };
  }

  /**
   * Every reversal the journal says is owed, each tried now and then retried until confirmed. Run before requests are
   * served: a record in a `left` state then is a transfer whose outcome a stop kept from anyone (a `bank-pending` one
   * the gateway stopped waiting for), so it is owed a reversal too, journaled before it is sent.
   */
  async start(): Promise<void> {
    this.#stopped = false;
    const owed: R[] = [];
    for (let record of await this.#o.records.all()) {
      const left = this.#left[record.state];
      if (left) record = await this.#reversing(record, left.code, 'transfer left by a gateway stop with its outcome sent to no one: reversing');
      if (record.state === 'reversing') owed.push(record);
    }
    if (owed.length > 0) this.#o.log.warn('resuming reversals owed from before the restart', { count: owed.length, txnIds: owed.map((r) => r.id) });
    for (const record of owed) void this.owe(record.id);
  }

  /** Stops retrying; what is still owed stays `reversing` in the journal for the next start. */
  async stop(): Promise<void> {
    this.#stopped = true;
    for (const owed of this.#owed.values()) clearTimeout(owed.timer);
    await Promise.all([...this.#owed.values()].map((o) => o.running));
    this.#owed.clear();
  }

  /** Transaction ids still owed a reversal, for the operator and tests. */
  get pending(): string[] {
    return [...this.#owed.keys()];
  }

  /** How the tries of one owed reversal went since this gateway started; none tried nor due when the queue does not hold it. */
  status(txnId: string): ReversalStatus {
    const owed = this.#owed.get(txnId);
    if (!owed) return { attempts: 0, trying: false, nextTryAt: null, lastError: null };
    return {
      attempts: owed.attempts,
      trying: owed.running !== undefined,
      nextTryAt: owed.running || owed.nextAt === undefined ? null : new Date(owed.nextAt).toISOString(),
      lastError: owed.lastError ?? null,
    };
  }

  /**
   * An operator's "retry now": the journal must still say the reversal is owed. It is tried at once, or, while a try
   * is under way, that try is the answer (never two 0400s of one reversal side by side). The caller audits it.
   */
  async retryNow(txnId: string): Promise<{ confirmed: boolean } & ReversalStatus> {
    const record = await this.#o.records.require(txnId);
    if (record.state !== 'reversing') throw new QuancunError('TXN_STATE', `${txnId} is ${record.state}: no reversal is owed`, { txnId, state: record.state });
    if (this.#stopped) throw new QuancunError('TXN_STATE', 'the reversal queue is stopped: the next gateway start resumes it', { txnId });
    const confirmed = await this.owe(txnId);
    return { confirmed, ...this.status(txnId) };
  }

  /**
   * Runs the steps that follow a record's `bank-pending`. Any failure of them is answered as a refusal, so the debit
   * must not stand: the reversal is owed (`owe(txnId, code)`), queued rather than awaited, before the failure goes on.
   */
  async afterBankPending<T>(txnId: string, steps: () => Promise<T>): Promise<T> {
    try {
      return await steps();
    } catch (err) {
      void this.owe(txnId, QuancunError.from(err).code);
      throw err;
    }
  }

  /**
   * Tries the owed reversal of a record already journaled `reversing` now; true once confirmed. A failed try leaves
   * it queued for the next, after the backoff. Never rejects: callers may leave it running. `leftBy`: the record may
   * instead be in a `left` state, where its authorization failed to journal its next step (why); it is journaled
   * `reversing` first, tried again with the backoff until the store takes it. In any other state nothing is owed.
   */
  owe(txnId: string, leftBy?: ErrorCode): Promise<boolean> {
    // Still `reversing` (or left) in the journal: the next start resumes it.
    if (this.#stopped) return Promise.resolve(false);
    let owed = this.#owed.get(txnId);
    if (!owed) this.#owed.set(txnId, (owed = { attempts: 0 }));
    if (leftBy) owed.leftBy = leftBy;
    if (owed.running) return owed.running;
    clearTimeout(owed.timer);
    owed.nextAt = undefined;
    owed.running = this.#attempt(txnId, owed)
      .catch((err: unknown) => {
        // The journal could not be read (the store closing under a stop, a database connection failing): the record
        // still says what is owed, and the next try comes after the same backoff.
        this.#o.log.error('reversal try failed', { txnId, error: QuancunError.from(err) });
        this.#tryLater(txnId, owed);
        return false;
      })
      .finally(() => (owed.running = undefined));
    return owed.running;
  }

  async #attempt(txnId: string, owed: Owed): Promise<boolean> {
    // The journal, not a copy held here, says whether it is still owed (an earlier try may have confirmed it).
    let record = await this.#o.records.require(txnId);
    if (owed.leftBy && this.#left[record.state]) record = await this.#reversing(record, owed.leftBy, 'transfer left with its outcome sent to no one: reversing');
    owed.leftBy = undefined;
    if (record.state !== 'reversing') {
      this.#owed.delete(txnId);
      return record.state === 'reversed';
    }
    owed.attempts++;
    let confirmed = false;
    try {
      confirmed = await this.#o.send(record);
      if (!confirmed) owed.lastError = undefined;
    } catch (err) {
      const e = QuancunError.from(err);
      owed.lastError = { code: e.code, message: e.message };
    }
    if (confirmed) {
      this.#owed.delete(txnId);
      this.emit('confirmed', txnId, owed.attempts);
      return true;
    }
    const fields = { txnId, attempts: owed.attempts, reason: record.reversalReason, code: owed.lastError?.code };
    this.#tryLater(txnId, owed, fields);
    return false;
  }

  /** A record in a `left` state journaled `reversing`, with why it was left, before its first 0400. */
  #reversing(record: R, code: ErrorCode, message: string): Promise<R> {
    const { reason } = this.#left[record.state]!;
    this.#o.log.warn(message, { txnId: record.id, state: record.state, code });
    return this.#o.records.advance(record, 'reversing' as S, { code, reversalReason: reason } as Partial<R>);
  }

  /** The next try after the backoff of the tries so far; an operator is told when they reach `attentionAfter`. */
  #tryLater(txnId: string, owed: Owed, fields: Record<string, unknown> = { txnId, attempts: owed.attempts }): void {
    const delayMs = backoffDelay(this.#retry, owed.attempts);
    const logged = { ...fields, nextInMs: delayMs };
    if (owed.attempts === this.#retry.attentionAfter) this.#o.log.error('reversal still unconfirmed: operator attention, retrying', logged);
    else this.#o.log.warn('reversal unconfirmed, retrying', logged);
    this.emit('failed', txnId, owed.attempts, delayMs);
    // Not unref'd: a process that owes a reversal has a reason to stay up; stop() clears it.
    if (!this.#stopped) {
      owed.nextAt = Date.now() + delayMs;
      owed.timer = setTimeout(() => void this.owe(txnId), delayMs);
    }
  }
}

export interface ReversalStatus {
  /** Tries since this gateway started. */
  attempts: number;
  /** A try is under way. */
  trying: boolean;
  /** When the next try is due; null while one runs or none is scheduled. */
  nextTryAt: string | null;
  /** Why the last try failed, when it did with an error. */
  lastError: { code: string; message: string } | null;
}
