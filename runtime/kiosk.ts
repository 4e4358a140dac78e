/**
 * The kiosk process's controller: devices, journal, link to the gateway, and the flows over them. Parts start in one
 * declared order (status, journal, devices, link) and stop in reverse. A part that fails to start is a fault the
 * status reports (out of service, a fault event), never an exception out of start(): a kiosk with a damaged journal
 * or an absent reader shows why it cannot serve, and a device that comes back brings service back. On every
 * (re)connection to the gateway it brings the journal's unfinished records to a definite end, asking the gateway how
 * far each got (each flow's `recover`, flows/registry.ts).
 */
import { Backoff } from '../common/backoff.ts';
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import { LogRing, type Logger } from '../common/log.ts';
import { QuancunError } from '../common/errors.ts';
import { DEFAULT_TIME_ZONE } from '../common/campus-time.ts';
import type { CardReader } from '../hal/card-reader/card-reader.ts';
import type { PinPad } from '../hal/pin-pad/pin-pad.ts';
import type { KioskIo } from '../hal/gpio/gpio.ts';
import type { ReceiptPrinter } from '../hal/printer/printer.ts';
import { ServiceStatus, type DeviceName } from './health/service-status.ts';
import type { KioskMode } from '../common/api/topics.ts';
import { CAMPUS_CARD_PROFILE, type CardProfile } from './card/card-profile.ts';
import { EMPTY_JOURNAL_SUMMARY, KioskJournal, kioskJournalPath, type JournalSummary } from './journal/kiosk-journal.ts';
import { KioskLink } from './link/kiosk-link.ts';
import type { TlsMaterial } from '../common/mqtt/tls-files.ts';
import { lookAgain, openCardSession, type CardSession } from './flows/card-session.ts';
import { runLoad, type LoadOutcome, type LoadStep } from './flows/load/load-flow.ts';
import type { RePresentInfo } from './flows/load/torn-load.ts';
import { collected, runCollect, type CollectOutcome, type Owed } from './flows/collect/collect-flow.ts';
import { runFee, type FeeOrder, type FeeOutcome } from './flows/fee/fee-flow.ts';
import { runFeeChecks, type FeeCheckOutcome } from './flows/fee-check/fee-check-flow.ts';
import type { OpResponse } from '../common/api/topics.ts';
import { FLOWS } from './flows/registry.ts';
import { DayCounters, type TxnEnd } from './telemetry/day-counters.ts';
import { KioskTelemetry, type MoneyStep } from './telemetry/telemetry.ts';
import { RemoteCommands } from './commands/remote-commands.ts';
import { trustedCa } from './commands/command-check.ts';
import { AnnouncementBoard } from './announcements/announcement-board.ts';

export interface KioskOptions {
  id: string;
  terminalId: string;
  mqttUrl: string;
  /** The campus CA, this kiosk's certificate and key, for an mqtts:// broker. */
  mqttTls?: TlsMaterial;
  dataDir: string;
  version: string;
  reader: CardReader;
  pinPad: PinPad;
  log: Logger;
  /** The receipt printer, when the kiosk has one: its faults are reported, and only withdraw the receipt offer. */
  printer?: ReceiptPrinter;
  /** Door switch and status LEDs, when the board has them. */
  io?: KioskIo;
  cardProfile?: CardProfile;
  requestTimeoutMs?: number;
  /** Devices the board could not even open (board/devices.ts): faults from the start. */
  startFaults?: ReadonlyArray<{ device: DeviceName; error: Error }>;
  /** The campus's IANA time zone (config `campus.timeZone`): card checks, screens and receipts; default Asia/Shanghai. */
  timeZone?: string;
  /** The board's thermometer (LM75), for telemetry. */
  thermometer?: { readCelsius(): Promise<number> };
  /** Seconds between telemetry events; default 60. */
  telemetryIntervalSeconds?: number;
  /** The campus CA (PEM) whose gateway. and operator. certificates may sign remote commands; without it all are refused. */
  commandCa?: { pem: string; source: string };
  /** Where `log` also keeps its records for the diagnostics command; default one of the kiosk's own. */
  logRing?: LogRing;
  /** Reads the announcements again and shows them (refresh-announcements); their number. */
  reloadAnnouncements?: () => Promise<number>;
  /** Ends the process after a restart command has stopped the kiosk (systemd starts it again); default process.exit. */
  exit?: (code: number) => void;
  /** The clock announcements start and end by; default the system's. */
  now?: () => Date;
}

/** A device the controller starts and stops. */
interface Part {
  name: DeviceName;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export interface KioskEvents {
  step: [step: LoadStep];
  /** A torn load asks for the same card back: seconds left, each second and when another card is presented. */
  're-present': [info: RePresentInfo];
  recovered: [txnId: string, state: string];
  /** A load or collect ended: no money step is in progress. */
  idle: [];
}

/** The key of an operator's out-of-service in the journal's store: it outlasts a restart. */
const HOLD_KEY = 'meta/operator-hold';
/** The longest wait between recovery passes while a record stays unfinished (one the gateway holds for an operator). */
const MAX_RECOVERY_DELAY_MS = 300_000;

export class Kiosk extends EventEmitter<KioskEvents> {
  readonly journal: KioskJournal;
  readonly link: KioskLink;
  /** Whether the kiosk can serve now and why not; device faults are reported from here. */
  readonly status: ServiceStatus;
  /** The gateway's announcements for this kiosk, as the broker retains them. */
  readonly announcements: AnnouncementBoard;
  private readonly log: Logger;
  /** A load in progress owns its journal record: recovery must not touch it until the load returns. */
  private busy = false;
  /** Aborted by stop(): a load waiting for its card back stops waiting, its record left for recovery. */
  /** Aborted by stop(); a start() after it (the technician's restart) begins with a fresh one. */
  private stopping = new AbortController();
  private recovering: Promise<void> | null = null;
  /**
   * The next recovery pass after one that left a record unfinished while the link stayed up (a gateway held up past
   * the kiosk's wait): nothing else would start one until the next transaction or reconnection.
   */
  #recoveryLater: NodeJS.Timeout | undefined;
  readonly #recoveryBackoff: Backoff;
  /** Set by drain(): a stop is under way and no new transaction starts. */
  private draining = false;
  /** False while the journal could not be opened: nothing that needs it runs. */
  #journalOpen = false;
  /** Between a start() and the stop() after it: a second stop (the process's after a restart command's) does nothing. */
  #running = false;
  readonly #counters: DayCounters;
  readonly #telemetry: KioskTelemetry;
  #lastMoneyStep: MoneyStep | undefined;
  /** Journal summaries being read: stop() closes the journal after them. */
  readonly #summaries = new Set<Promise<JournalSummary>>();

  constructor(private readonly o: KioskOptions) {
    super();
    const ring = o.logRing ?? new LogRing();
    this.log = (o.logRing ? o.log : o.log.recording(ring)).child({ kiosk: o.id });
    this.journal = new KioskJournal(kioskJournalPath(o.dataDir, o.id), o.id, this.log);
    this.#recoveryBackoff = new Backoff({ minMs: o.requestTimeoutMs ?? 15_000, maxMs: MAX_RECOVERY_DELAY_MS });
    this.link = new KioskLink({
      url: o.mqttUrl, ...(o.mqttTls ? { tls: o.mqttTls } : {}), kioskId: o.id, version: o.version, log: this.log, saveSeq: (seq) => this.journal.saveBirthSeq(seq),
      ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
    });
    this.status = new ServiceStatus({
      reader: o.reader, pinPad: o.pinPad, link: this.link, log: this.log,
      ...(o.printer ? { printer: o.printer } : {}), ...(o.io ? { io: o.io } : {}),
    });
    this.link.on('online', () => {
      this.recover().catch((err) => this.log.error('recovery failed', { error: err as Error }));
    });
    this.#counters = new DayCounters(this.timeZone, this.log);
    this.#telemetry = new KioskTelemetry({
      intervalSeconds: o.telemetryIntervalSeconds ?? 60, version: o.version, link: this.link, status: this.status, log: this.log,
      journalSummary: () => this.journalSummary(), counters: this.#counters, lastMoneyStep: () => this.#lastMoneyStep,
      devices: ['journal', ...this.parts.map((p) => p.name)],
      ...(o.printer ? { printer: o.printer } : {}), ...(o.io ? { io: o.io } : {}), ...(o.thermometer ? { thermometer: o.thermometer } : {}),
    });
    const commands = new RemoteCommands({
      kiosk: this, kioskId: o.id, log: this.log, ring, ca: o.commandCa ? trustedCa(o.commandCa.pem, o.commandCa.source) : undefined,
      ...(o.reloadAnnouncements ? { reloadAnnouncements: o.reloadAnnouncements } : {}),
    });
    this.link.on('command', (name, payload) => commands.receive(name, payload));
    this.announcements = new AnnouncementBoard({ log: this.log, timeZone: this.timeZone, ...(o.now ? { now: o.now } : {}) });
    this.link.on('connected', () => this.announcements.reset());
    this.link.on('announcement', (topic, id, payload) => this.announcements.receive(topic, id, payload));
    this.on('step', (step) => this.#moneyStep('load', step));
  }

  /** Whether the journal is open: no money step, and no remote command (its nonce is kept there), without it. */
  get journalOpen(): boolean {
    return this.#journalOpen;
  }

  /** The telemetry report as it would be sent now. */
  telemetry(): ReturnType<KioskTelemetry['snapshot']> {
    return this.#telemetry.snapshot();
  }

  get reader(): CardReader {
    return this.o.reader;
  }

  get version(): string {
    return this.o.version;
  }

  get timeZone(): string {
    return this.o.timeZone ?? DEFAULT_TIME_ZONE;
  }

  /** The devices in start order; stopped in reverse. */
  private get parts(): Part[] {
    const { reader, pinPad, printer, io } = this.o;
    return [
      { name: 'card-reader', start: () => reader.start(), stop: () => reader.stop() },
      { name: 'pin-pad', start: () => pinPad.start(), stop: () => pinPad.stop() },
      ...(printer ? [{ name: 'receipt-printer' as const, start: () => printer.start(), stop: () => printer.stop() }] : []),
      ...(io ? [{ name: 'door' as const, start: () => io.start(), stop: () => io.stop() }] : []),
    ];
  }

  async start(): Promise<void> {
    if (this.stopping.signal.aborted) this.stopping = new AbortController();
    this.draining = false;
    this.#running = true;
    // The status listens before anything starts: a device that fails as it starts is a fault, not a silent in-service.
    this.status.start();
    for (const { device, error } of this.o.startFaults ?? []) this.status.fault(device, error);
    let seq = 0;
    try {
      await this.journal.open();
      this.#journalOpen = true;
      await this.#counters.open(this.journal.store);
      const hold = await this.journal.store.get<{ note: string }>(HOLD_KEY);
      if (hold) this.status.hold(hold.note);
      seq = await this.journal.reserveBirthSeq();
    } catch (err) {
      this.log.error('journal not opened: out of service until an operator repairs it', { error: err as Error });
      this.status.fault('journal', err);
    }
    for (const part of this.parts) await part.start().catch((err: unknown) => this.status.fault(part.name, err));
    this.status.devicesStarted();
    this.#telemetry.start();
    await this.link.start(seq);
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    this.#running = false;
    this.stopping.abort();
    clearTimeout(this.#recoveryLater);
    this.#telemetry.stop();
    await this.link.stop();
    this.announcements.stop();
    // A recovery pass still running (after the last load) finishes before the journal under it closes.
    await this.recovering?.catch(() => {});
    this.status.stop();
    for (const part of this.parts.reverse()) await part.stop().catch((err: unknown) => this.log.warn('device did not stop cleanly', { device: part.name, error: err as Error }));
    await this.#counters.flushed();
    // A summary being read (the technician's screen asked for one just before a reboot) finishes on an open journal.
    await Promise.allSettled([...this.#summaries]);
    if (this.#journalOpen) await this.journal.close();
    this.#journalOpen = false;
  }

  /**
   * The restart command: no new transaction (the one in progress ends first, up to a minute), the kiosk stopped as a
   * service stop would, then the process exits for systemd to start it again.
   */
  async restart(): Promise<void> {
    this.log.warn('restarting on a remote command');
    await this.drain(60_000);
    await this.stop();
    (this.o.exit ?? ((code: number) => process.exit(code)))(0);
  }

  /**
   * An operator's out-of-service with the reason the screen shows (null: its end), kept in the journal so a restart
   * does not put the kiosk back in service behind the operator's back. The mode it leaves the kiosk in.
   */
  async holdOutOfService(note: string | null): Promise<KioskMode> {
    if (!this.#journalOpen) throw new QuancunError('JOURNAL_UNAVAILABLE', 'the kiosk journal is not open');
    await (note === null ? this.journal.store.batch([{ type: 'del', key: HOLD_KEY }]) : this.journal.store.put(HOLD_KEY, { note }));
    this.status.hold(note);
    return this.status.mode;
  }

  /** Open records by kind and state, and the outbox depth: for diagnostics, without any card data. */
  journalSummary(): Promise<JournalSummary> {
    if (!this.#journalOpen) return Promise.resolve(EMPTY_JOURNAL_SUMMARY);
    const reading = this.journal.summary();
    this.#summaries.add(reading);
    void reading.catch(() => {}).finally(() => this.#summaries.delete(reading));
    return reading;
  }

  #moneyStep(kind: MoneyStep['kind'], step: string, txnId?: string): void {
    this.#lastMoneyStep = { kind, step, at: new Date().toISOString(), ...(txnId ? { txnId } : {}) };
  }

  /** Counted for telemetry; the last money step is where the transaction ended. */
  #ended(end: TxnEnd & { state: string; txnId?: string }): void {
    this.#counters.count(end);
    this.#moneyStep(end.kind, end.state, end.txnId);
  }

  /** Reads the card in the field and asks the gateway about it. */
  openSession(): Promise<CardSession> {
    return openCardSession(this.o.reader, this.link, this.o.cardProfile ?? CAMPUS_CARD_PROFILE, this.timeZone);
  }

  /** What this kiosk was built with: a restart on the same journal builds a new Kiosk from them. */
  get options(): KioskOptions {
    return this.o;
  }

  /** The pad's 'progress' events tell the screens how many digits were typed. */
  get pinPad(): PinPad {
    return this.o.pinPad;
  }

  /** Whether a load or collect is in progress (a money step may be under way). */
  get inTransaction(): boolean {
    return this.busy;
  }

  /**
   * The first half of a stop: no new load or collect starts (KIOSK_STOPPING), and this resolves when the one in
   * progress has ended, or after `limitMs` (false then). A service stop waits here, so it never cuts a money step
   * short unless the step takes longer than the unit allows; the journal then finishes it at the next start.
   */
  async drain(limitMs: number): Promise<boolean> {
    this.draining = true;
    if (!this.busy) return true;
    return once(this, 'idle', { signal: AbortSignal.timeout(limitMs) }).then(() => true, () => !this.busy);
  }

  /** A synced write to the journal: the watchdog's proof that money steps can still be written. */
  async checkJournal(): Promise<void> {
    if (!this.#journalOpen) return; // already out of service for it, and showing why
    await this.journal.store.touch();
  }

  /** Money moves only with a journal to write each step to first. */
  private claim(): void {
    if (this.draining) throw new QuancunError('KIOSK_STOPPING', 'the kiosk is stopping');
    if (!this.#journalOpen) throw new QuancunError('JOURNAL_UNAVAILABLE', 'the kiosk journal is not open');
    if (this.busy) throw new QuancunError('TXN_STATE', 'a transaction is already in progress at this kiosk');
  }

  /**
   * One money flow at a time: the busy guard, the idle event a drain waits for, and a recovery pass after it (a record
   * the flow left unfinished is ended at once while the link is up).
   */
  async #transaction<T>(run: () => Promise<T>): Promise<T> {
    this.claim();
    this.busy = true;
    try {
      return await run();
    } finally {
      this.busy = false;
      this.emit('idle');
      if (this.link.online) void this.recover().catch((err) => this.log.error('recovery failed', { error: err as Error }));
    }
  }

  /** What every flow run here is given. */
  #flowContext() {
    return { journal: this.journal, link: this.link, terminalId: this.o.terminalId, log: this.log };
  }

  /** A flow that writes the card also has the reader, stops waiting for a card back when the kiosk stops, and tells the screens. */
  #cardFlowContext() {
    return {
      ...this.#flowContext(), reader: this.o.reader, cardProfile: this.o.cardProfile ?? CAMPUS_CARD_PROFILE, stopSignal: this.stopping.signal,
      onRePresent: (info: RePresentInfo) => this.emit('re-present', info),
    };
  }

  load(session: CardSession, amount: number, options: { signal?: AbortSignal } = {}): Promise<LoadOutcome> {
    return this.#transaction(async () => {
      try {
        const outcome = await runLoad(
          { ...this.#cardFlowContext(), pinPad: this.o.pinPad, onStep: (s) => this.emit('step', s), ...options },
          session,
          amount,
        );
        const credited = outcome.state === 'completed' || outcome.state === 'credited';
        this.#ended({ kind: 'load', txnId: outcome.txnId, state: outcome.state, amount, credited, ...(outcome.code ? { code: outcome.code } : {}) });
        return outcome;
      } catch (err) {
        const { code, message } = QuancunError.from(err);
        // Refused before a transaction existed: nothing moved, but the operator reads why in the log.
        this.log.warn('load refused', { amount, code, reason: message });
        this.#ended({ kind: 'load', state: 'refused', amount, credited: false, code });
        throw err;
      }
    });
  }

  /**
   * Writes onto the card what the gateway owes it (`session.account.pendingLoads`: loads 圈存未领, subsidies 补助…), or
   * the `owed` given: 领款 / 补写 / 补助领取.
   */
  collect(session: CardSession, owed?: Owed[]): Promise<CollectOutcome[]> {
    return this.#transaction(async () => {
      await this.link.whenOnline('collect');
      return this.#collectOwed(session, owed);
    });
  }

  /** The collect flow on a card session, inside a transaction already claimed: each outcome counted for telemetry. */
  async #collectOwed(session: CardSession, owed?: Owed[]): Promise<CollectOutcome[]> {
    this.#moneyStep('collect', 'collecting');
    const outcomes = await runCollect(this.#flowContext(), session, owed);
    for (const o of outcomes) this.#ended({ kind: 'collect', txnId: o.pendingId, state: o.state, amount: o.amount, credited: collected(o) });
    return outcomes;
  }

  /** Whom a fee would pay (`fee.lookup`): the biller's holder and room for the cardholder to confirm; moves nothing. */
  lookupFee(billerId: string, account: string): Promise<OpResponse<'fee.lookup'>> {
    return this.link.request('fee.lookup', { billerId, account });
  }

  /**
   * Pays a fee from the card's purse (缴费, runtime/flows/fee/). When the biller was not paid and the card is still
   * in the field, the refund the gateway now owes is written at once by the collect flow; `refund` says how it went.
   */
  fee(session: CardSession, order: FeeOrder): Promise<FeeOutcome & { refund?: CollectOutcome }> {
    return this.#transaction(async () => {
      this.#moneyStep('fee', 'paying');
      const outcome = await runFee(this.#cardFlowContext(), session, order);
      // Not a load or collect for the day's counters: only the last money step says where it ended.
      this.#moneyStep('fee', outcome.state, outcome.txnId);
      if (outcome.state !== 'refund-owed') return outcome;
      const refund = await this.#refundAtOnce(session, outcome.refundId!);
      return { ...outcome, ...(refund ? { refund } : {}) };
    });
  }

  /**
   * Decides the card's fees in doubt (`feesInDoubt`: a torn purchase whose card did not come back to its kiosk) by the
   * card's offline counter, at its tap here, before anything else (runtime/flows/fee-check/). The session is read again
   * after on its channel: a refund now owed is among its pending credits, written at the tap like any.
   */
  decideFees(session: CardSession): Promise<{ outcomes: FeeCheckOutcome[]; session: CardSession }> {
    return this.#transaction(async () => {
      await this.link.whenOnline('fee checks');
      this.#moneyStep('fee', 'deciding');
      const outcomes = await runFeeChecks(this.#flowContext(), session);
      for (const o of outcomes) this.#moneyStep('fee', o.state, o.txnId);
      // A card gone or a link down after the decisions: they are journaled; the next tap reads the rest.
      return { outcomes, session: await lookAgain(session, this.link).catch(() => session) };
    });
  }

  /**
   * The refund just owed, written while the card is still here; left pending for the next tap when it cannot be. On
   * the fee's own card session, which stays the caller's (the screens go on with it); only when that channel is gone
   * (the card was asked back during a torn purchase) a session is opened for the refund, and closed after.
   */
  async #refundAtOnce(session: CardSession, refundId: string): Promise<CollectOutcome | undefined> {
    let opened: CardSession | undefined;
    try {
      const here = await lookAgain(session, this.link).catch(async () => (opened = await this.openSession()));
      const [outcome] = await this.#collectOwed(here, here.account.pendingLoads.filter((p) => p.pendingId === refundId));
      return outcome;
    } catch (err) {
      this.log.warn('fee refund left for the card\'s next tap', { refundId, code: QuancunError.from(err).code });
      return undefined;
    } finally {
      await opened?.channel.close().catch(() => {});
    }
  }

  /**
   * Brings every unfinished record to a definite end with the gateway's journal as the other witness (see
   * flows/load/load-recovery.ts and collect-flow.ts): never a money step repeated blindly. Runs on every (re)connection.
   */
  recover(): Promise<void> {
    if (this.busy || !this.#journalOpen || this.stopping.signal.aborted) return Promise.resolve();
    this.recovering ??= this.recoverOnce()
      .then((left) => this.#recoverLater(left), (err: unknown) => {
        this.#recoverLater(true);
        throw err;
      })
      .finally(() => (this.recovering = null));
    return this.recovering;
  }

  /** A pass left something (or failed): another after as long as a request may wait, doubling up to 5 minutes. */
  #recoverLater(left: boolean): void {
    clearTimeout(this.#recoveryLater);
    this.#recoveryLater = undefined;
    if (!left) {
      this.#recoveryBackoff.reset();
      return;
    }
    if (this.stopping.signal.aborted) return;
    const delayMs = this.#recoveryBackoff.next();
    this.#recoveryLater = setTimeout(() => {
      this.#recoveryLater = undefined;
      // Offline, the reconnection starts the pass; busy, the transaction's end does.
      if (this.link.online) void this.recover().catch((err) => this.log.error('recovery failed', { error: err as Error }));
    }, delayMs);
    this.#recoveryLater.unref();
  }

  /** Whether it left a record unfinished. */
  private async recoverOnce(): Promise<boolean> {
    const ends = [];
    for (const flow of FLOWS) ends.push(...(await this.journal.machine(flow).unfinished()).map((rec) => ({ rec, end: () => flow.recover(this, rec) })));
    let left = false;
    for (const { rec, end } of ends) {
      try {
        const { state } = await end();
        this.log.info('recovered an unfinished transaction', { txnId: rec.id, from: rec.state, state });
        this.emit('recovered', rec.id, state);
      } catch (err) {
        left = true;
        this.log.warn('unfinished transaction left for the next try', { txnId: rec.id, state: rec.state, code: QuancunError.from(err).code });
      }
    }
    // Then the reports, recovery's among them, in the order they were journaled (runtime/outbox/).
    await this.journal.outbox.drain(this.link);
    return left;
  }
}
