/**
 * The batch transfer run (后台批量转账): at the configured campus time, or when an operator asks, it works out the
 * standing orders due, journals a run with one `planned` record per transfer, sends each to its bank without a PIN
 * (BankLink.standingTransfer), at most `perSecond` a second per bank, and journals each outcome. An approval gets a
 * provisional posting in the batch of its state, then becomes a credit the card is owed (gateway/credits/); a
 * decline closes the record with its code; an outcome the gateway cannot know is reversed through the
 * store-and-forward queue, never sent again.
 *
 * A run killed at any point resumes at the next start: records still `planned` are sent, a record `bank-pending`
 * (perhaps sent) is reversed by the queue, an `approved` one is owed its credit if it is not yet. Nothing in a
 * record's life is repeated that could move money twice.
 */
import { campusTime, nextTimeOfDay } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { JournaledMachine } from '../../common/store/journaled-machine.ts';
import { timerAt, type TimerAt } from '../../common/timer-at.ts';
import type { BankConnection } from '../banks.ts';
import type { CampusCredits } from '../credits/campus-credits.ts';
import type { CampusLedger } from '../ledger/campus-ledger.ts';
import type { GatewayLoadRecord, GatewayLoadState } from '../loads/gateway-load-machine.ts';
import { DEFINITELY_NOT_DEBITED } from '../loads/load-service.ts';
import { ReversalQueue, type RetryPolicy } from '../saf/reversal-queue.ts';
import { boundBank, formatRule, requireAccount, monthlyPeriod, type OrderLimits, type StandingOrder, StandingOrders } from './standing-orders.ts';
import {
  RUN_MACHINE, runTransfersPrefix, TRANSFER_MACHINE, transferId,
  type RunRecord, type RunState, type RunSummary, type TransferRecord, type TransferState,
} from './transfer-machine.ts';

export interface TransferServiceOptions {
  store: DurableStore;
  ledger: CampusLedger;
  banks: Map<string, BankConnection>;
  /** Where an approval becomes a credit the card is owed (source `transfer`), written at its next tap by the 领款 flow. */
  credits: CampusCredits;
  /** The gateway's loads: the card balances kiosks last reported in them. */
  loads: JournaledMachine<GatewayLoadState, GatewayLoadRecord>;
  limits: OrderLimits;
  timeZone: string;
  /** Transfers a second to one bank. */
  perSecond: number;
  log: Logger;
  reversalRetry?: Partial<RetryPolicy>;
  now?: () => Date;
}

/** Nothing was sent: the link says so for these, and the order is due again at the next run. */
const NOT_SENT = new Set(['BANK_NOT_SIGNED_ON', 'BANK_UNAVAILABLE']);

export class TransferService {
  readonly orders: StandingOrders;
  readonly transfers: JournaledMachine<TransferState, TransferRecord>;
  readonly runs: JournaledMachine<RunState, RunRecord>;
  /** The 0400s owed for transfers whose outcome was unknown; the gateway starts and stops it. */
  readonly reversals: ReversalQueue<TransferState, TransferRecord>;
  readonly #o: TransferServiceOptions;
  readonly #now: () => Date;
  #running: Promise<RunSummary[]> | null = null;
  #timer: TimerAt | null = null;
  #runAt: string | null = null;
  #stopping = false;

  constructor(o: TransferServiceOptions) {
    this.#o = o;
    this.#now = o.now ?? (() => new Date());
    // A transfer's credit never expires: the bank debit stands until the card is written.
    o.credits.register({ source: 'transfer' });
    this.orders = new StandingOrders(o.store, o.ledger, o.limits, new Set(o.banks.keys()));
    this.transfers = new JournaledMachine(o.store, 'gw/transfer', TRANSFER_MACHINE);
    this.runs = new JournaledMachine(o.store, 'gw/transfer-run', RUN_MACHINE);
    this.reversals = new ReversalQueue({
      records: this.transfers, send: (record) => this.#reverse(record), log: o.log.child({ part: 'transfers' }),
      ...(o.reversalRetry ? { retry: o.reversalRetry } : {}),
    });
  }

  /**
   * At start, before any run: a transfer left `bank-pending` by a stop is owed a reversal (the queue journals it
   * `reversing` first), and the reversals owed go out.
   */
  async start(): Promise<void> {
    this.#stopping = false;
    await this.reversals.start();
  }

  /** Finishes the runs a stop interrupted (a `run` does too, first). */
  resume(): Promise<RunSummary[]> {
    return this.#exclusive(() => this.#finishUnfinished());
  }

  /** A run under way stops after the transfer in hand; the rest stay `planned` for the next start. */
  async stop(): Promise<void> {
    this.#stopping = true;
    this.stopSchedule();
    await this.#running?.catch(() => {});
    await this.reversals.stop();
  }

  /** Runs at `runAt` (HH:MM, campus time) every day; a failed run is logged and the next day's comes all the same. */
  startSchedule(runAt: string): void {
    this.stopSchedule();
    this.#runAt = runAt;
    const at = nextTimeOfDay(runAt, this.#now(), this.#o.timeZone);
    this.#timer = timerAt(at.getTime(), () => {
      void this.run('schedule')
        .catch((err: unknown) => this.#o.log.error('scheduled transfer run failed', { error: QuancunError.from(err) }))
        // A stop during the run ends the schedule: it is not armed again.
        .finally(() => this.#stopping || this.startSchedule(runAt));
    }, () => this.#now().getTime());
  }

  stopSchedule(): void {
    this.#timer?.cancel();
    this.#timer = null;
    this.#runAt = null;
  }

  /** The campus time (HH:MM) of the daily run while the schedule is armed. */
  get runAt(): string | null {
    return this.#runAt;
  }

  /** Finishes any interrupted run, then plans and sends the orders due today on the campus calendar; the summaries. */
  run(by: string): Promise<RunSummary[]> {
    return this.#exclusive(async () => [...(await this.#finishUnfinished()), await this.#newRun(by)]);
  }

  /** Whether a run (or a resume) is under way in this process. */
  get running(): boolean {
    return this.#running !== null;
  }

  /**
   * A run now, on an operator's word (the console): `run`, as the schedule and `quancun transfer run` make it, but
   * refused with TRANSFER_RUN_CONFLICT while one is under way (a resume, the schedule's, another operator's) instead
   * of queued behind it. Answers once it is started; `done` settles when it ends, and a failure is logged.
   */
  startRun(by: string): { done: Promise<RunSummary[]> } {
    if (this.#running) throw new QuancunError('TRANSFER_RUN_CONFLICT', 'a batch transfer run is under way: wait for it to end');
    const done = this.run(by);
    done.catch((err: unknown) => this.#o.log.error('transfer run failed', { by, error: QuancunError.from(err) }));
    return { done };
  }

  async summary(runId: string): Promise<RunSummary> {
    const run = await this.runs.require(runId);
    return summarise(run, await this.transfers.all(runTransfersPrefix(runId)));
  }

  /** The orders due on campus date `date`, each with the period it pays for; why an order is not due is logged. */
  async due(date: string): Promise<Array<{ order: StandingOrder; period: string; asn: string; bankId: string }>> {
    const taken = new Set((await this.transfers.all()).filter((r) => r.state !== 'not-sent').map((r) => `${r.campusAccount}|${r.rule}|${r.period}`));
    const balances = await this.#lastBalances();
    const out = [];
    for (const order of await this.orders.list()) {
      const rule = formatRule(order.rule);
      const fields = { campusAccount: order.campusAccount, rule };
      const period = order.rule.kind === 'monthly' ? monthlyPeriod(order.rule.day, date) : date;
      if (!period || taken.has(`${order.campusAccount}|${rule}|${period}`)) continue;
      let account;
      try {
        account = await requireAccount(this.#o.ledger, order.campusAccount);
        const { bankId } = boundBank(account, new Set(this.#o.banks.keys()));
        if (order.rule.kind === 'below') {
          const balance = balances.get(account.asn.toUpperCase());
          if (balance === undefined) {
            this.#o.log.info('top-up order skipped: the gateway has not seen the card balance yet', fields);
            continue;
          }
          const owed = (await this.#o.credits.open(account.asn)).reduce((sum, c) => sum + c.amount, 0);
          if (balance + owed >= order.rule.threshold) continue;
        }
        out.push({ order, period, asn: account.asn, bankId });
      } catch (err) {
        this.#o.log.warn('standing order not due: its account cannot be debited', { ...fields, code: QuancunError.from(err).code });
      }
    }
    return out;
  }

  /** One run at a time: a run asked for while another is under way (a resume, the schedule) starts after it. */
  #exclusive(job: () => Promise<RunSummary[]>): Promise<RunSummary[]> {
    const run = (this.#running ?? Promise.resolve([])).catch(() => []).then(() => {
      if (this.#stopping) throw new QuancunError('TRANSFER_RUN_INTERRUPTED', 'the gateway is stopping: the run is not started');
      return job();
    });
    this.#running = run;
    void run.catch(() => {}).finally(() => {
      if (this.#running === run) this.#running = null;
    });
    return run;
  }

  async #finishUnfinished(): Promise<RunSummary[]> {
    const out = [];
    for (const run of await this.runs.unfinished()) {
      this.#o.log.warn('finishing a transfer run a stop interrupted', { runId: run.id, state: run.state });
      out.push(await this.#finish(run));
    }
    return out;
  }

  async #newRun(by: string): Promise<RunSummary> {
    const date = campusTime(this.#now(), this.#o.timeZone).date;
    const due = await this.due(date);
    const day = date.replaceAll('-', '');
    const id = `${day}-${(await this.runs.all(`${day}-`)).length + 1}`;
    const run = await this.runs.create({ id, state: 'planning', date, by });
    let seq = 0;
    for (const d of due) {
      await this.transfers.create({
        id: transferId(id, ++seq), state: 'planned', runId: id, campusAccount: d.order.campusAccount, asn: d.asn, bankId: d.bankId,
        amount: d.order.amount, rule: formatRule(d.order.rule), period: d.period,
      });
    }
    this.#o.log.info('transfer run planned', { runId: id, transfers: due.length });
    return this.#finish(run);
  }

  /** Sends what is still `planned`, owes what is `approved`, and closes the run with its summary. */
  async #finish(run: RunRecord): Promise<RunSummary> {
    // A run stopped while planning keeps what it journaled; orders it did not reach are due at the next run.
    if (run.state === 'planning') run = await this.runs.advance(run, 'sending');
    const records = await this.transfers.all(runTransfersPrefix(run.id));
    const byBank = new Map<string, TransferRecord[]>();
    for (const r of records) byBank.set(r.bankId, [...(byBank.get(r.bankId) ?? []), r]);
    // Banks in parallel, each paced on its own.
    await Promise.all([...byBank.values()].map((mine) => this.#sendAll(mine)));
    if (this.#stopping) throw new QuancunError('TRANSFER_RUN_INTERRUPTED', `the gateway is stopping: run ${run.id} resumes at its next start`);
    // One try of each reversal owed, shared with one under way, so the summary says what the bank answered; the queue retries the rest.
    await Promise.all((await this.transfers.all(runTransfersPrefix(run.id))).filter((r) => r.state === 'reversing').map((r) => this.reversals.owe(r.id)));
    const summary = summarise(run, await this.transfers.all(runTransfersPrefix(run.id)));
    await this.runs.advance(run, 'done', { summary });
    this.#o.log.info('transfer run done', { ...summary });
    return summary;
  }

  async #sendAll(records: TransferRecord[]): Promise<void> {
    const gapMs = 1000 / this.#o.perSecond;
    let nextAt = 0;
    for (let record of records) {
      if (this.#stopping) return;
      if (record.state === 'planned') {
        const wait = nextAt - Date.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        nextAt = Date.now() + gapMs;
        record = await this.#send(record);
      }
      if (record.state === 'approved') await this.#oweCredit(record);
    }
  }

  async #send(record: TransferRecord): Promise<TransferRecord> {
    const log = this.#o.log.child({ transferId: record.id });
    let pan: string;
    let bank: BankConnection;
    try {
      // The binding and the order are read again: either may have changed since the run was planned.
      const order = await this.orders.get(record.campusAccount);
      if (!order || formatRule(order.rule) !== record.rule) {
        throw new QuancunError('TRANSFER_ORDER_UNKNOWN', 'the standing order was removed before its transfer was sent');
      }
      const bound = boundBank(await requireAccount(this.#o.ledger, record.campusAccount), new Set(this.#o.banks.keys()));
      if (bound.bankId !== record.bankId) throw new QuancunError('CARD_NOT_BOUND', 'the account was bound to another bank since the run was planned');
      pan = bound.bankPan;
      bank = this.#o.banks.get(bound.bankId)!;
      if (!bank.link.signedOn) await bank.link.signOn();
    } catch (err) {
      const e = QuancunError.from(err);
      log.warn('standing transfer not sent', { code: e.code });
      return this.transfers.advance(record, 'not-sent', { code: e.code });
    }
    // The STAN is reserved in the batch that journals bank-pending: from here on the record is never sent again.
    const planned = record;
    record = await bank.stans.reserve((stan, reserve) => this.transfers.advance(planned, 'bank-pending', { stan }, [reserve]));
    // The store refusing a step after it (a disk, a database connection failing) while the bank may have debited:
    // the queue reverses it once the store takes writes again, not at the next start.
    return this.reversals.afterBankPending(record.id, () => this.#transfer(record, bank, pan, log));
  }

  /** The 0200 of a record journaled `bank-pending`, and its outcome journaled. */
  async #transfer(record: TransferRecord, bank: BankConnection, pan: string, log: Logger): Promise<TransferRecord> {
    try {
      const approval = await bank.link.standingTransfer({
        stan: record.stan!, pan, amount: record.amount, terminalId: bank.terminalId, merchantId: bank.merchantId, campusRef: record.id,
      });
      return await this.transfers.advance(record, 'approved', { bankRef: approval.bankRef },
        this.#o.ledger.postingOps({ txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, status: 'provisional', source: 'transfer' }));
    } catch (err) {
      const e = QuancunError.from(err);
      const responseCode = typeof e.details.responseCode === 'string' ? { responseCode: e.details.responseCode } : {};
      if (NOT_SENT.has(e.code)) {
        log.warn('standing transfer not sent', { code: e.code });
        return this.transfers.advance(record, 'not-sent', { code: e.code });
      }
      if (DEFINITELY_NOT_DEBITED.has(e.code)) {
        log.info('standing transfer declined', { code: e.code, ...responseCode });
        return this.transfers.advance(record, 'declined', { code: e.code, ...responseCode });
      }
      const reversing = await this.transfers.advance(record, 'reversing', { code: e.code, reversalReason: e.code === 'BANK_MAC_INVALID' ? 'A0' : '98' });
      log.warn('standing transfer outcome unknown, reversing', { code: e.code });
      void this.reversals.owe(record.id);
      return reversing;
    }
  }

  /** The credit of an approved transfer, owed once: a resumed run finds it owed already and only moves the record on. */
  async #oweCredit(record: TransferRecord): Promise<void> {
    if (!(await this.#o.credits.owns(record.id))) {
      await this.#o.credits.owe([{
        id: record.id, source: 'transfer', asn: record.asn, campusAccount: record.campusAccount, amount: record.amount, label: `代扣转账 ${record.period}`,
      }]);
    }
    await this.transfers.advance(record, 'credit-owed');
  }

  async #reverse(record: TransferRecord): Promise<boolean> {
    const bank = this.#o.banks.get(record.bankId);
    const { bankPan } = await requireAccount(this.#o.ledger, record.campusAccount);
    if (!bank || !bankPan || record.stan === undefined) throw new QuancunError('INTERNAL', `reversal of ${record.id} lacks its bank details`);
    if (!bank.link.signedOn) await bank.link.signOn();
    const answer = await bank.link.reverse({
      stan: record.stan, pan: bankPan, amount: record.amount, terminalId: bank.terminalId, merchantId: bank.merchantId, campusRef: record.id, standing: true,
    }, record.reversalReason ?? '06');
    await this.transfers.advance(record, 'reversed', { reversalAnswer: answer.originalFound ? 'reversed' : 'not-found' },
      this.#o.ledger.postingOps({ txnId: record.id, campusAccount: record.campusAccount, amount: record.amount, status: 'reversed', source: 'transfer' }));
    this.#o.log.info('standing transfer reversal confirmed', { transferId: record.id, bankHadTransfer: answer.originalFound });
    return true;
  }

  /** Each card's balance as the gateway last saw it: the newest load's balance after (completed) or before. */
  async #lastBalances(): Promise<Map<string, number>> {
    const newest = new Map<string, GatewayLoadRecord>();
    for (const l of await this.#o.loads.all()) {
      const asn = l.asn.toUpperCase();
      const seen = newest.get(asn);
      if (l.asn && (!seen || seen.updatedAt < l.updatedAt)) newest.set(asn, l);
    }
    return new Map([...newest].map(([asn, l]) => [asn, l.newBalance ?? l.oldBalance]));
  }
}

export function summarise(run: RunRecord, records: TransferRecord[]): RunSummary {
  const count = (...states: TransferState[]) => records.filter((r) => states.includes(r.state));
  const approved = count('approved', 'credit-owed');
  return {
    runId: run.id, date: run.date, planned: records.length,
    approved: { count: approved.length, amount: approved.reduce((sum, r) => sum + r.amount, 0) },
    declined: count('declined').length, notSent: count('not-sent', 'planned').length,
    reversing: count('reversing', 'bank-pending').length, reversed: count('reversed').length,
  };
}
