/**
 * Delivers the postings owed to an external one-card system (posting-outbox.ts), started and stopped with the
 * gateway. Entries go in key order, so a transaction's statuses in the order they were made; an entry is deleted only
 * once the system answered. No answer (down, slow, 5xx, an answer lost) stops the pass, and the same entry is sent
 * again after a backoff: safe, as the system applies each (txnId, status) once. A definite refusal is not sent again
 * and not dropped: it moves to the refused entries, with an error log, the health check and a gauge saying so. What
 * is owed is in the store, so a restart resumes it.
 */
import { backoffDelay } from '../../common/backoff.ts';
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import type { OneCardPosting, OneCardSystem, WireStatus } from './one-card-system.ts';
import { KeyedQueue } from '../../common/keyed-queue.ts';
import {
  deliveredOps, owedPostings, refusedPosting, refusedPostings, setAsidePostings, settledRefusalOps, type RefusedPosting, type SetAsidePosting,
} from './posting-outbox.ts';

export interface RelayPolicy {
  /** The wait after a try without an answer, doubled after each in a row; never more than maxMs. */
  minMs: number;
  maxMs: number;
  /** Tries in a row without an answer before the error log asks for an operator (the relay keeps trying). */
  attentionAfter: number;
  /** How often an idle relay looks for new entries. */
  pollMs: number;
}

export interface PostingRelayOptions {
  store: DurableStore;
  system: OneCardSystem;
  policy: RelayPolicy;
  log: Logger;
}

export class PostingRelay extends EventEmitter<{
  delivered: [posting: OneCardPosting];
  refused: [refusal: RefusedPosting];
  /** A try got no answer: the tries in a row so far, and the wait before the next. */
  unanswered: [tries: number, waitMs: number];
}> {
  readonly #o: PostingRelayOptions;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | undefined;
  /** Tries in a row that got no answer. */
  #unanswered = 0;
  #waiting = 0;
  #refused = 0;
  /** One answer at a time per refusal: a double click answers it once. */
  readonly #settling = new KeyedQueue();

  constructor(o: PostingRelayOptions) {
    super();
    this.#o = o;
  }

  /** What an operator is shown: entries waiting (as of the last pass), refusals kept, tries in a row without an answer. */
  get state(): { waiting: number; refused: number; unanswered: number; attentionAfter: number } {
    return { waiting: this.#waiting, refused: this.#refused, unanswered: this.#unanswered, attentionAfter: this.#o.policy.attentionAfter };
  }

  /** The refusals kept for an operator, and those set aside. */
  async refusals(): Promise<{ refused: RefusedPosting[]; setAside: SetAsidePosting[] }> {
    return { refused: await refusedPostings(this.#o.store), setAside: await setAsidePostings(this.#o.store) };
  }

  /**
   * An operator's answer to a refusal: `resend` puts the posting back to be delivered (after the one-card system was
   * put right: the account opened, the posting's earlier status entered by hand); otherwise it is set aside with a
   * note, kept, and no longer counted. ONECARD_REFUSAL_UNKNOWN when no such refusal is kept (already answered).
   */
  async settleRefusal(txnId: string, status: WireStatus, answer: { resend: true } | { resend: false; by: string; note: string }): Promise<RefusedPosting> {
    return this.#settling.run(`${txnId}/${status}`, async () => {
      const refused = await refusedPosting(this.#o.store, txnId, status);
      if (!refused) throw new QuancunError('ONECARD_REFUSAL_UNKNOWN', `no refused ${status} posting of ${txnId} is kept`, { txnId, status });
      await this.#o.store.batch(settledRefusalOps(refused, answer));
      this.#refused--;
      this.#o.log.info(answer.resend ? 'a refused posting is sent again' : 'a refused posting was set aside', { txnId, status });
      if (answer.resend && this.#running && this.#pass === undefined) {
        clearTimeout(this.#timer);
        this.#next(0);
      }
      return refused;
    });
  }

  async start(): Promise<void> {
    this.#refused = (await refusedPostings(this.#o.store)).length;
    this.#running = true;
    this.#next(0);
  }

  /** No new try; one in flight ends (within the system's timeout) and, unanswered, stays owed for the next start. */
  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    await this.#pass;
  }

  #next(ms: number): void {
    this.#timer = setTimeout(() => {
      this.#pass = this.#deliver().then((wait) => {
        this.#pass = undefined;
        if (this.#running) this.#next(wait);
      });
    }, ms);
  }

  /** One pass over the entries owed; resolves with the wait before the next. */
  async #deliver(): Promise<number> {
    let sending: OneCardPosting | undefined;
    try {
      const entries = await owedPostings(this.#o.store);
      this.#waiting = entries.length;
      for (const entry of entries) {
        if (!this.#running) break;
        sending = entry.value;
        const refusal = await this.#send(entry.value);
        await this.#o.store.batch(deliveredOps(entry, refusal));
        this.#waiting--;
        this.#unanswered = 0;
        if (refusal) {
          this.#refused++;
          this.emit('refused', { posting: entry.value, ...refusal });
        } else {
          this.emit('delivered', entry.value);
        }
      }
      return this.#o.policy.pollMs;
    } catch (err) {
      return this.#backoff(QuancunError.from(err), sending);
    }
  }

  /** Undefined once the system took the posting, the refusal when it definitely refused it; rejects when it did not answer. */
  async #send(posting: OneCardPosting): Promise<Omit<RefusedPosting, 'posting'> | undefined> {
    try {
      await this.#o.system.post(posting);
      return undefined;
    } catch (err) {
      const e = QuancunError.from(err);
      if (e.code !== 'ONECARD_REFUSED') throw e;
      const reason = typeof e.details.reason === 'string' ? e.details.reason : e.message;
      this.#o.log.error('the one-card system refused a posting: kept for an operator, not sent again', {
        txnId: posting.txnId, status: posting.status, code: e.code, reason,
      });
      return { code: e.code, reason, at: new Date().toISOString() };
    }
  }

  #backoff(e: QuancunError, posting: OneCardPosting | undefined): number {
    this.#unanswered++;
    const { attentionAfter } = this.#o.policy;
    const wait = backoffDelay(this.#o.policy, this.#unanswered);
    const fields = { txnId: posting?.txnId, status: posting?.status, code: e.code, error: e.message, tries: this.#unanswered, nextInMs: wait };
    if (this.#unanswered === attentionAfter) this.#o.log.error('the one-card system still does not answer: operator attention, retrying', fields);
    else this.#o.log.warn('a posting got no answer from the one-card system, retrying', fields);
    this.emit('unanswered', this.#unanswered, wait);
    return wait;
  }
}
