/**
 * The kiosk UI controller: owns the cardholder session and is the only place where runtime events (card in and out,
 * the load flow's steps, PIN pad key counts, link and printer status) become screens, and where the screens' actions
 * become flow calls. The flows drive the screens: a load's screens follow the steps the load flow reports, and its
 * result is the flow's outcome. Cardholder input that a flow would refuse gets its error code on screen and starts
 * nothing.
 */
import { EventEmitter, once } from 'node:events';
import { campusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { ReceiptPrinter } from '../../hal/printer/printer.ts';
import { formatReceipt } from '../../hal/printer/receipt.ts';
import type { RenderReport, ScreenHost } from '../../screens/screen-host.ts';
import type { Announcement, KeypadKey, KioskView, Lang, MaintenanceCommand, UiAction } from '../../screens/view-model.ts';
import { getBalance } from '../card/purse.ts';
import type { CardSession } from '../flows/card-session.ts';
import { checkLoadAmount, type LoadOutcome, type LoadStep } from '../flows/load/load-flow.ts';
import { collected, writtenAtTap, type Owed } from '../flows/collect/collect-flow.ts';
import type { RePresentInfo } from '../flows/load/torn-load.ts';
import type { Kiosk } from '../kiosk.ts';
import { editAmount } from './amount-entry.ts';
import { readCardRecords } from './card-records.ts';
import { queryCampusRecords } from './campus-records.ts';
import { Inactivity } from './inactivity.ts';
import { collectOperation, collectReceipt, collectResult, loadCredited, loadReceipt, loadResult, receiptOffer, refusedResult, type ReceiptPlace } from './load-result.ts';
import { checkFee } from '../flows/fee/fee-flow.ts';
import { editAccount } from './fee-entry.ts';
import { feeReceipt, feeResult, type FeeEnd } from './fee-result.ts';
import type { FeePayee } from './ui-state.ts';
import { checkTransition, NEEDS_CARD, WAITS_FOR_CARDHOLDER, type UiState } from './ui-state.ts';
import { kioskView } from './ui-view.ts';
import { maintenanceInfo, testPage } from './maintenance-info.ts';
import { TechnicianGate } from './technician.ts';
import { mergeAnnouncements } from '../announcements/announcement-board.ts';

export const DEFAULT_PRESETS = [2_000, 5_000, 10_000, 20_000, 50_000, 100_000];

export interface KioskUiOptions {
  kiosk: Kiosk;
  /** Draws the views and reports the touches ('action'). */
  screen: ScreenHost;
  kioskId: string;
  campusName: { zh: string; en: string };
  log: Logger;
  /** Absent: the receipt screen says no paper receipt can be printed. */
  printer?: ReceiptPrinter;
  announcements?: Announcement[];
  /** Preset amounts in fen. */
  presets?: number[];
  /** How long a session screen waits for the cardholder before returning to idle; default 60. */
  inactivitySeconds?: number;
  /** The scrypt hash of the technician PIN (config `technician.pinHash`); without it the maintenance screen stays shut. */
  technicianPinHash?: string;
  /** The language each session starts in; default zh. */
  lang?: Lang;
}

export interface KioskUiEvents {
  /** A view is on the display; `report.widgets` is the tree touches are hit-tested against. */
  render: [view: KioskView, report: RenderReport];
}

/** A load or fee this UI started: its steps (and a torn write's re-present countdown) are the screens until it ends. */
interface RunningLoad {
  token: number;
  session: CardSession;
  amount: number;
}

export class KioskUi extends EventEmitter<KioskUiEvents> {
  #state: UiState = { screen: 'idle' };
  #lang: Lang;
  #announcements: Announcement[];
  readonly #inactivity: Inactivity;
  readonly #gate: TechnicianGate;
  readonly #startedAt = Date.now();
  /** Bumped when a session ends: an answer that arrives for an ended session is dropped. */
  #token = 0;
  #pinAbort: AbortController | null = null;
  #load: RunningLoad | null = null;
  #timer: NodeJS.Timeout | undefined;
  #lastClock = '';
  #last: { view: KioskView; report: RenderReport } | null = null;
  #rendering: Promise<void> = Promise.resolve();
  readonly #unsubscribe: Array<() => void> = [];
  readonly #log: Logger;

  constructor(private readonly o: KioskUiOptions) {
    super();
    this.#lang = o.lang ?? 'zh';
    this.#announcements = o.announcements ?? [];
    this.#inactivity = new Inactivity(o.inactivitySeconds ?? 60);
    this.#gate = new TechnicianGate(o.technicianPinHash);
    this.#log = o.log.child({ part: 'ui', kiosk: o.kioskId });
  }

  get state(): UiState {
    return this.#state;
  }

  /** New announcements from the config file (the refresh-announcements command): the idle screen shows them at once. */
  setAnnouncements(announcements: Announcement[]): void {
    this.#announcements = announcements;
    this.#announcementsChanged();
  }

  /** The screens that show announcements are drawn again at once; others show the new ones when next drawn. */
  #announcementsChanged(): void {
    if (this.#state.screen === 'idle' || this.#state.screen === 'announcements') this.#render();
  }

  /** The view last drawn, with its report: `report.widgets` is the tree a touch now hits. */
  get drawn(): { view: KioskView; report: RenderReport } | undefined {
    return this.#last ?? undefined;
  }

  async start(): Promise<void> {
    const { kiosk, screen, printer } = this.o;
    const on = <T extends EventEmitter<any>>(emitter: T, event: string, fn: (...args: any[]) => void): void => {
      const guarded = (...args: unknown[]) => {
        try {
          fn(...args);
        } catch (err) {
          this.#fail(err);
        }
      };
      (emitter as EventEmitter).on(event, guarded);
      this.#unsubscribe.push(() => (emitter as EventEmitter).off(event, guarded));
    };
    on(kiosk.reader, 'present', () => this.#cardPresented());
    on(kiosk.reader, 'absent', () => this.#cardRemoved());
    on(kiosk.status, 'change', () => this.#serviceChanged());
    on(kiosk.announcements, 'change', () => this.#announcementsChanged());
    on(kiosk, 'step', (step: LoadStep) => this.#loadStep(step));
    on(kiosk, 're-present', (info: RePresentInfo) => this.#rePresent(info));
    on(kiosk.pinPad, 'progress', (digits: number) => this.#pinProgress(digits));
    on(screen, 'action', (action: UiAction) => this.#act(action));
    if (printer) on(printer, 'status', () => this.#printerChanged());
    this.#timer = setInterval(() => this.#tick(), 1000);
    this.#toIdle();
    await this.#rendering;
  }

  async stop(): Promise<void> {
    clearInterval(this.#timer);
    for (const off of this.#unsubscribe.splice(0)) off();
    this.#endSession();
    await this.#rendering;
  }

  // --- state changes -------------------------------------------------------------------------------------------

  #set(next: UiState): void {
    const from = this.#state.screen;
    checkTransition(from, next.screen);
    this.#state = next;
    if (next.screen === from) return;
    if (WAITS_FOR_CARDHOLDER.has(next.screen)) this.#inactivity.restart();
    else this.#inactivity.stop();
  }

  #go(next: UiState): void {
    this.#set(next);
    this.#render();
  }

  /** `yyyy-mm-dd hh:mm` on the campus's wall clock: the screens' header and the idle screen. */
  #clock(): string {
    return campusTime(new Date(), this.o.kiosk.timeZone).dateTime.slice(0, 16);
  }

  #render(): void {
    const view = kioskView(this.#state, {
      lang: this.#lang, clock: this.#clock(), campusName: this.o.campusName, kioskId: this.o.kioskId,
      announcements: mergeAnnouncements(this.o.kiosk.announcements.current(), this.#announcements), presets: this.o.presets ?? DEFAULT_PRESETS,
      inactivitySecondsLeft: this.#inactivity.secondsLeft(),
    });
    this.#lastClock = view.clock;
    this.#rendering = this.o.screen.render(view).then(
      (report) => {
        this.#last = { view, report };
        this.emit('render', view, report);
      },
      (err: unknown) => this.#log.error('screen render failed', { screen: view.screen, error: err as Error }),
    );
  }

  /** Ends any session (its card channel closed, a PIN entry aborted) and shows idle, or why the kiosk cannot serve. */
  #toIdle(): void {
    this.#endSession();
    this.#set({ screen: 'idle' });
    const { reason, note } = this.o.kiosk.status;
    if (reason) this.#set({ screen: 'out-of-service', reason, ...(note === null ? {} : { note }) });
    this.#render();
  }

  /** A UI bug (a move the state table forbids) must not take the kiosk down: log it and start over from idle. */
  #fail(err: unknown): void {
    this.#log.error('kiosk UI error, back to idle', { screen: this.#state.screen, error: err as Error });
    this.#toIdle();
  }

  #endSession(): void {
    this.#token++;
    this.#gate.clear();
    this.#pinAbort?.abort();
    this.#pinAbort = null;
    const session = 'session' in this.#state ? this.#state.session : undefined;
    session?.channel.close().catch(() => {});
    this.#lang = this.o.lang ?? 'zh';
  }

  #tick(): void {
    const left = this.#inactivity.secondsLeft();
    if (left === 0) {
      this.#log.info('session timed out', { screen: this.#state.screen });
      this.#toIdle();
    } else if (left !== undefined || this.#clock() !== this.#lastClock) {
      this.#render();
    }
  }

  // --- runtime events ------------------------------------------------------------------------------------------

  #serviceChanged(): void {
    // A session in progress finishes on its own (a load reports the link's failure itself); only idle changes.
    if (this.#state.screen === 'idle' || this.#state.screen === 'out-of-service') this.#toIdle();
  }

  #cardPresented(): void {
    if (this.#state.screen !== 'idle') return;
    const token = this.#token;
    this.#go({ screen: 'processing', processing: { step: 'reading-card' } });
    this.o.kiosk.openSession().then(
      (session) => {
        if (token !== this.#token) return void session.channel.close().catch(() => {});
        this.#log.info('card session opened', { card: session.asnMasked });
        if (session.account.feesInDoubt?.length) return this.#decideFees(session);
        this.#atTap(session);
      },
      (err: unknown) => {
        if (token !== this.#token) return;
        const { code } = QuancunError.from(err);
        this.#log.info('card refused', { code });
        this.#go({ screen: 'result', result: refusedResult(code, 'load', 0) });
      },
    ).catch((err: unknown) => this.#fail(err));
  }

  /**
   * Loads the card is owed (圈存未领), and any credit its counter must decide, are written at the tap, before
   * anything else can be chosen; subsidies wait on the menu (补助领取).
   */
  #atTap(session: CardSession): void {
    const atTap = session.account.pendingLoads.filter(writtenAtTap);
    if (atTap.length > 0) return this.#collect(session, atTap);
    this.#go({ screen: 'card', session });
  }

  /** A fee in doubt is decided by the card's offline counter first; a refund it leaves owed is written next, at the tap. */
  #decideFees(session: CardSession): void {
    const token = this.#token;
    const amount = (session.account.feesInDoubt ?? []).reduce((sum, f) => sum + f.amount, 0);
    this.#go({ screen: 'processing', session, processing: { step: 'paying', operation: 'fee', amount } });
    this.o.kiosk.decideFees(session).then(
      ({ session: after }) => token === this.#token && this.#atTap(after),
      (err: unknown) => token === this.#token && this.#go({ screen: 'result', session, result: refusedResult(QuancunError.from(err).code, 'fee', amount, session) }),
    ).catch((err: unknown) => this.#fail(err));
  }

  #cardRemoved(): void {
    const s = this.#state;
    const reading = s.screen === 'processing' && (s.processing.step === 'reading-card' || s.processing.step === 'querying');
    if (NEEDS_CARD.has(s.screen) || reading) this.#toIdle();
  }

  #loadStep(step: LoadStep): void {
    const load = this.#load;
    if (!load || load.token !== this.#token) return;
    const { session, amount } = load;
    if (step === 'pin-entry') this.#go({ screen: 'pin', session, amount, digits: 0 });
    else this.#go({ screen: 'processing', session, processing: { step, operation: 'load', amount } });
  }

  #rePresent(info: RePresentInfo): void {
    const load = this.#load;
    if (!load || load.token !== this.#token) return;
    this.#go({ screen: 're-present', session: load.session, rePresent: { secondsLeft: info.secondsLeft, amount: info.amount } });
  }

  #collect(session: CardSession, owed: Owed[]): void {
    const token = this.#token;
    const amount = owed.reduce((sum, p) => sum + p.amount, 0);
    const operation = collectOperation(owed);
    this.#go({ screen: 'processing', session, processing: { step: 'collecting', operation, amount } });
    (async () => {
      const outcomes = await this.o.kiosk.collect(session, owed);
      return { outcomes, balance: await getBalance(session.channel).catch(() => session.balance) };
    })().then(
      ({ outcomes, balance }) => {
        if (token !== this.#token) return;
        const written = new Set(outcomes.filter(collected).map((o) => o.pendingId));
        const left = session.account.pendingLoads.filter((p) => !written.has(p.pendingId));
        const after = { ...session, balance, account: { ...session.account, pendingLoads: left } };
        const receipt = collectReceipt(outcomes, balance, session, this.#receiptPlace());
        this.#go({ screen: 'result', session: after, result: collectResult(outcomes, balance, operation), ...(receipt ? { receipt } : {}) });
      },
      (err: unknown) => token === this.#token && this.#go({ screen: 'result', session, result: refusedResult(QuancunError.from(err).code, operation, amount, session) }),
    ).catch((err: unknown) => this.#fail(err));
  }

  #pinProgress(digits: number): void {
    if (this.#state.screen === 'pin') this.#go({ ...this.#state, digits });
  }

  #printerChanged(): void {
    const s = this.#state;
    if (s.screen === 'receipt') this.#go({ ...s, offer: receiptOffer(this.o.printer, s.receipt) });
  }

  // --- cardholder actions --------------------------------------------------------------------------------------

  #act(action: UiAction): void {
    const s = this.#state;
    if (WAITS_FOR_CARDHOLDER.has(s.screen)) this.#inactivity.restart();
    if (action.type === 'lang') {
      this.#lang = action.lang;
      return this.#render();
    }
    if (action.type === 'cancel') {
      // A torn load waits for its card whatever the screen says: cancelling would only hide its countdown.
      if (s.screen !== 'processing' && s.screen !== 're-present') this.#toIdle();
      return;
    }
    if (action.type === 'back' && s.screen === 'amount' && s.fee) {
      return this.#go({ screen: 'fee-account', session: s.session, billerId: s.fee.billerId, entered: s.fee.account });
    }
    if (action.type === 'back' && s.screen === 'fee-account') return this.#go({ screen: 'fees', session: s.session });
    if (action.type === 'back' && (s.screen === 'amount' || s.screen === 'records' || s.screen === 'campus-records' || s.screen === 'pending' || s.screen === 'announcements' || s.screen === 'fees')) {
      return this.#go({ screen: 'menu', session: s.session });
    }
    switch (s.screen) {
      case 'card':
        if (action.type === 'confirm') this.#go({ screen: 'menu', session: s.session });
        return;
      case 'menu':
        if (action.type !== 'menu') return;
        if (action.item === 'load') return this.#go({ screen: 'amount', session: s.session, entered: null });
        if (action.item === 'records') return this.#showRecords(s.session);
        if (action.item === 'announcements') return this.#go({ screen: 'announcements', session: s.session });
        if (action.item === 'collect') return this.#go({ screen: 'pending', session: s.session });
        return this.#go({ screen: 'fees', session: s.session });
      case 'pending': {
        if (action.type !== 'collect') return;
        const owed = s.session.account.pendingLoads.find((p) => p.pendingId === action.id && !writtenAtTap(p));
        if (owed) this.#collect(s.session, [owed]);
        return;
      }
      case 'fees':
        if (action.type === 'fee') this.#go({ screen: 'fee-account', session: s.session, billerId: action.id, entered: '' });
        return;
      case 'fee-account':
        if (action.type !== 'key') return;
        if (action.key === 'ok') return this.#lookupFee(s.session, s.billerId, s.entered);
        return this.#go({ screen: 'fee-account', session: s.session, billerId: s.billerId, entered: editAccount(s.entered, action.key) });
      case 'amount': {
        const choose = (amount: number | null) => (s.fee ? this.#chooseFee(s.session, s.fee, amount) : this.#chooseAmount(s.session, amount));
        if (action.type === 'amount-preset') return choose(action.fen);
        if (action.type === 'key' && action.key === 'ok') return choose(s.entered);
        if (action.type === 'key') this.#go({ screen: 'amount', session: s.session, entered: editAmount(s.entered, action.key), ...(s.fee ? { fee: s.fee } : {}) });
        return;
      }
      case 'result':
        if (action.type !== 'confirm') return;
        if (s.receipt) return this.#go({ screen: 'receipt', ...(s.session ? { session: s.session } : {}), receipt: s.receipt, offer: receiptOffer(this.o.printer, s.receipt) });
        if (s.session && this.o.kiosk.reader.cardPresent) return this.#go({ screen: 'menu', session: s.session });
        return this.#toIdle();
      case 'receipt':
        if (action.type !== 'receipt') return;
        if (action.print && s.offer.available) return this.#print(s);
        if (!action.print) this.#toIdle();
        return;
      case 'announcements':
        if (action.type === 'announcement') this.#go({ ...s, open: action.id });
        return;
      case 'records':
      case 'campus-records':
        if (action.type === 'records-page' && action.page >= 1) this.#showCampusRecords(s.session, action.page);
        return;
      case 'idle':
      case 'out-of-service':
        if (action.type === 'technician' && this.#gate.open) this.#go({ screen: 'maintenance-pin', digits: 0 });
        return;
      case 'maintenance-pin':
        if (action.type === 'key') this.#technicianKey(action.key);
        return;
      case 'maintenance':
        if (action.type === 'maintenance') this.#maintenance(action.command);
        return;
      default:
        // pin, processing: the pad or the flow moves them on.
        return;
    }
  }

  #technicianKey(key: KeypadKey): void {
    const answer = this.#gate.key(key);
    const attempts = this.#gate.attemptsLeft;
    if (answer === 'granted') {
      this.#log.info('technician signed in');
      return this.#showMaintenance();
    }
    if (answer === 'locked') {
      this.#log.warn('technician PIN locked after repeated failures');
      return this.#toIdle();
    }
    if (answer === 'denied') this.#log.warn('wrong technician PIN', { attemptsLeft: attempts });
    this.#go({ screen: 'maintenance-pin', digits: this.#gate.digits, ...(attempts === undefined ? {} : { attemptsLeft: attempts }) });
  }

  /** `token`: the session the request belongs to; a technician who left meanwhile is not pulled back in. */
  #showMaintenance(token = this.#token): void {
    maintenanceInfo(this.o.kiosk, this.#startedAt).then(
      (info) => token === this.#token && this.#go({ screen: 'maintenance', info }),
      (err: unknown) => this.#fail(err),
    );
  }

  /** The technician's commands; each ends by showing the maintenance screen again with fresh figures. */
  #maintenance(command: MaintenanceCommand): void {
    const { kiosk, printer } = this.o;
    if (command === 'exit') return this.#toIdle();
    this.#log.info('maintenance command', { command });
    const token = this.#token;
    // The kiosk is busy for the technician, not waiting for them: a reboot slower than the session's inactivity limit
    // must not end the session and leave the technician looking at out-of-service. Showing the screen again restarts it.
    this.#inactivity.stop();
    const work =
      command === 'resync' ? kiosk.recover()
      : command === 'test-print' ? (printer ? printer.print(testPage(kiosk.version, this.o.kioskId)) : Promise.resolve())
      // reboot: the kiosk runtime starts afresh, journal first; the screen comes back once the link is (bounded)
      : kiosk.stop().then(() => kiosk.start()).then(async () => {
        if (!kiosk.link.online) await once(kiosk.link, 'online', { signal: AbortSignal.timeout(15_000) });
      });
    work.then(
      () => this.#showMaintenance(token),
      (err: unknown) => {
        this.#log.warn('maintenance command failed', { command, code: QuancunError.from(err).code });
        this.#showMaintenance(token);
      },
    );
  }

  /** Refused amounts stay on the amount screen with their code; nothing is sent. */
  #chooseAmount(session: CardSession, amount: number | null): void {
    try {
      checkLoadAmount(session, amount ?? 0);
    } catch (err) {
      const { code } = QuancunError.from(err);
      this.#log.info('amount refused', { code });
      return this.#go({ screen: 'amount', session, entered: amount, error: code });
    }
    this.#runLoad(session, amount!);
  }

  /** The biller looks the account up: shown for confirmation with the amount, or its refusal's code on the keypad. */
  #lookupFee(session: CardSession, billerId: string, account: string): void {
    if (account === '') return;
    const token = this.#token;
    this.#go({ screen: 'processing', session, processing: { step: 'querying' } });
    this.o.kiosk.lookupFee(billerId, account).then(
      (found) => {
        if (token !== this.#token) return;
        const payee = [found.holder, found.room].filter(Boolean).join(' · ');
        this.#go({ screen: 'amount', session, entered: null, fee: { billerId, account, payee, maxAmount: found.maxAmount } });
      },
      (err: unknown) => {
        if (token !== this.#token) return;
        const { code } = QuancunError.from(err);
        this.#log.info('fee account refused', { code });
        this.#go({ screen: 'fee-account', session, billerId, entered: account, error: code });
      },
    ).catch((err: unknown) => this.#fail(err));
  }

  /** Refused fee amounts stay on the amount screen with their code; nothing is sent. */
  #chooseFee(session: CardSession, fee: FeePayee, amount: number | null): void {
    const order = { billerId: fee.billerId, account: fee.account, amount: amount ?? 0 };
    try {
      if (order.amount > fee.maxAmount) throw new QuancunError('FEE_AMOUNT_INVALID', `amount over the biller's ${fee.maxAmount}`);
      checkFee(session, order);
    } catch (err) {
      const { code } = QuancunError.from(err);
      this.#log.info('fee amount refused', { code });
      return this.#go({ screen: 'amount', session, entered: amount, error: code, fee });
    }
    const token = this.#token;
    this.#load = { token, session, amount: order.amount };
    this.#go({ screen: 'processing', session, processing: { step: 'paying', operation: 'fee', amount: order.amount } });
    this.o.kiosk.fee(session, order).then(
      (outcome) => this.#feeEnded(token, session, outcome),
      (err: unknown) => token === this.#token && this.#go({ screen: 'result', session, result: refusedResult(QuancunError.from(err).code, 'fee', order.amount, session) }),
    ).catch((err: unknown) => this.#fail(err)).finally(() => {
      if (this.#load?.token === token) this.#load = null;
    });
  }

  #feeEnded(token: number, session: CardSession, outcome: FeeEnd): void {
    if (token !== this.#token) return;
    const result = feeResult(outcome);
    const after = result.newBalance === undefined ? session : { ...session, balance: result.newBalance };
    if (outcome.state !== 'completed') return this.#go({ screen: 'result', session: after, result });
    const receipt = feeReceipt(outcome, after, this.#receiptPlace());
    this.#go({ screen: 'result', session: after, result, receipt });
  }

  #runLoad(session: CardSession, amount: number): void {
    const token = this.#token;
    const abort = new AbortController();
    this.#pinAbort = abort;
    // Set before load() is called: the flow reports 'pin-entry' before its first await.
    this.#load = { token, session, amount };
    this.o.kiosk
      .load(session, amount, { signal: abort.signal })
      .then(
        (outcome) => this.#loadEnded(token, session, outcome),
        (err: unknown) => {
          if (token !== this.#token) return;
          this.#go({ screen: 'result', session, result: refusedResult(QuancunError.from(err).code, 'load', amount, session) });
        },
      )
      .catch((err: unknown) => this.#fail(err))
      .finally(() => {
        if (this.#load?.token === token) this.#load = null;
        if (this.#pinAbort === abort) this.#pinAbort = null;
      });
  }

  #loadEnded(token: number, session: CardSession, outcome: LoadOutcome): void {
    if (token !== this.#token) return;
    if (!loadCredited(outcome)) return this.#go({ screen: 'result', session, result: loadResult(outcome) });
    const after = { ...session, balance: outcome.cardAfter };
    const receipt = loadReceipt(outcome, after, this.#receiptPlace());
    this.#go({ screen: 'result', session: after, result: loadResult(outcome), receipt });
  }

  #receiptPlace(): ReceiptPlace {
    return { campus: this.o.campusName.zh, kioskId: this.o.kioskId, timeZone: this.o.kiosk.timeZone };
  }

  /** A query's screen once `ask` answers; a refusal or failure is a result screen with its code. Moves no money. */
  #query(session: CardSession, ask: () => Promise<UiState>): void {
    const token = this.#token;
    this.#go({ screen: 'processing', session, processing: { step: 'querying' } });
    ask().then(
      (next) => token === this.#token && this.#go(next),
      (err: unknown) => token === this.#token && this.#go({ screen: 'result', session, result: refusedResult(QuancunError.from(err).code, 'load', 0, session) }),
    ).catch((err: unknown) => this.#fail(err));
  }

  #showRecords(session: CardSession): void {
    this.#query(session, async () => {
      // One after the other: APDUs on one channel never interleave.
      const balance = await getBalance(session.channel);
      const records = await readCardRecords(session.channel);
      return { screen: 'records', session: { ...session, balance }, records };
    });
  }

  #showCampusRecords(session: CardSession, page: number): void {
    this.#query(session, async () => ({
      screen: 'campus-records', session, campusRecords: await queryCampusRecords(this.o.kiosk.link, session.asn, page, this.o.kiosk.timeZone),
    }));
  }

  #print(s: Extract<UiState, { screen: 'receipt' }>): void {
    const printer = this.o.printer!;
    const token = this.#token;
    this.#go({ screen: 'processing', ...(s.session ? { session: s.session } : {}), processing: { step: 'printing' } });
    printer.print(formatReceipt(s.receipt, this.#lang)).then(
      () => token === this.#token && this.#toIdle(),
      (err: unknown) => {
        if (token !== this.#token) return;
        this.#log.warn('receipt not printed', { code: QuancunError.from(err).code });
        this.#go({ ...s, offer: receiptOffer(printer, s.receipt) });
      },
    ).catch((err: unknown) => this.#fail(err));
  }
}
