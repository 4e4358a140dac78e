/**
 * The banks as an operator sees them: each link's session (state, signed on since, last line check), the answer
 * times of a day from the kept messages, the settlement runs, and the two things an operator may do to a session:
 * sign on again (fresh working keys, the schedule restarted) and a line check now. `change` fires on every session
 * event of any bank, for a live page.
 */
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { BankConnection } from '../banks.ts';
import type { SettlementRecord, SettlementState } from '../settlement/settlement-service.ts';
import type { LineCheck, LinkState } from './bank-link.ts';
import type { AnswerTimes, IsoJournal } from './iso-journal.ts';

export interface BankSession {
  bankId: string;
  profile: string;
  terminalId: string;
  state: LinkState;
  signedOnSince: string | null;
  lastLineCheck: LineCheck | null;
  /** The open batch (60.2). */
  batch: string;
}

export interface SettlementRun {
  id: string;
  bankId: string;
  batch: number;
  state: SettlementState;
  /** true: the bank's totals agreed; false: it asked for the batch upload; null: no answer yet. */
  balanced: boolean | null;
  openedAt: string;
  closedAt: string;
  updatedAt: string;
  totals: SettlementRecord['totals'];
  loads: number;
}

const SESSION_EVENTS = ['connected', 'disconnected', 'signed-on', 'signed-off', 'line-check'] as const;
const BALANCED: Record<SettlementState, boolean | null> = { closing: null, balanced: true, uploading: false, uploaded: false };

export interface BankSessionsOptions {
  banks: ReadonlyMap<string, BankConnection>;
  iso: IsoJournal;
  settlements: { all(): Promise<SettlementRecord[]> };
  /** The campus's time zone: answer times are per campus business day. */
  timeZone: string;
}

export class BankSessions extends EventEmitter<{ change: [session: BankSession] }> {
  readonly #o: BankSessionsOptions;

  constructor(options: BankSessionsOptions) {
    super();
    this.#o = options;
    for (const bank of options.banks.values()) {
      for (const event of SESSION_EVENTS) bank.link.on(event, () => this.emit('change', this.#session(bank)));
    }
  }

  list(): BankSession[] {
    return [...this.#o.banks.values()].map((b) => this.#session(b));
  }

  get(bankId: string): BankSession {
    return this.#session(this.#bank(bankId));
  }

  /** Signs on afresh and restarts the session schedule; fails as the sign-on does (BANK_UNAVAILABLE, BANK_TIMEOUT…). */
  async signOnAgain(bankId: string): Promise<BankSession> {
    const bank = this.#bank(bankId);
    await bank.link.startSession();
    return this.#session(bank);
  }

  /** A line check now; a failed one is an answer (ok false, with its code), not an error. */
  async lineCheckNow(bankId: string): Promise<LineCheck> {
    return this.#bank(bankId).link.lineCheck();
  }

  /** Answer times of campus business day `date` (yyyy-mm-dd; today when absent). */
  async answerTimes(bankId: string, date?: string): Promise<AnswerTimes> {
    this.#bank(bankId);
    if (date !== undefined && !/^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/.test(date)) {
      throw new QuancunError('QUERY_INVALID', `date "${date}" is not yyyy-mm-dd`, { date });
    }
    return this.#o.iso.answerTimes(bankId, this.#o.timeZone, date);
  }

  /** Settlement runs, newest first; one bank's when given. */
  async settlementRuns(bankId?: string): Promise<SettlementRun[]> {
    if (bankId !== undefined) this.#bank(bankId);
    const records = (await this.#o.settlements.all()).filter((r) => bankId === undefined || r.bankId === bankId);
    return records.sort((a, b) => b.closedAt.localeCompare(a.closedAt)).map((r) => ({
      id: r.id, bankId: r.bankId, batch: r.batch, state: r.state, balanced: BALANCED[r.state], openedAt: r.openedAt, closedAt: r.closedAt,
      updatedAt: r.updatedAt, totals: r.totals, loads: r.txnIds.length,
    }));
  }

  #bank(bankId: string): BankConnection {
    const bank = this.#o.banks.get(bankId);
    if (!bank) throw new QuancunError('BANK_UNKNOWN', `no bank "${bankId}" in the configuration`, { bankId });
    return bank;
  }

  #session(bank: BankConnection): BankSession {
    const { link } = bank;
    return {
      bankId: bank.id, profile: link.profile.id, terminalId: bank.terminalId, state: link.state, signedOnSince: link.signedOnSince,
      lastLineCheck: link.lastLineCheck, batch: link.batch,
    };
  }
}
