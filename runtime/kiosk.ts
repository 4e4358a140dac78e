/**
 * The kiosk process's controller: devices, journal, link to the gateway, and the flows over them. Parts start in one
 * declared order (status, journal, devices, link) and stop in reverse. A part that fails to start is a fault the
 * status reports (out of service, a fault event), never an exception out of start(): a kiosk with a damaged journal
 * or an absent reader shows why it cannot serve, and a device that comes back brings service back. On every
 * (re)connection to the gateway it brings the journal's unfinished records to a definite end, asking the gateway how
 * far each got (flows/load/load-recovery.ts).
 */
import { EventEmitter, once } from 'node:events';
import { join } from 'node:path';
import type { Logger } from '../common/log.ts';
import { QuancunError } from '../common/errors.ts';
import { DEFAULT_TIME_ZONE } from '../common/campus-time.ts';
import type { CardReader } from '../hal/card-reader/card-reader.ts';
import type { PinPad } from '../hal/pin-pad/pin-pad.ts';
import type { KioskIo } from '../hal/gpio/gpio.ts';
import type { ReceiptPrinter } from '../hal/printer/printer.ts';
import { ServiceStatus, type DeviceName } from './health/service-status.ts';
import { CAMPUS_CARD_PROFILE, type CardProfile } from './card/card-profile.ts';
import { KioskJournal } from './journal/kiosk-journal.ts';
import { KioskLink } from './link/kiosk-link.ts';
import type { TlsMaterial } from '../common/mqtt/tls-files.ts';
import { openCardSession, type CardSession } from './flows/card-session.ts';
import { runLoad, type LoadOutcome, type LoadStep } from './flows/load/load-flow.ts';
import { recoverLoad } from './flows/load/load-recovery.ts';
import type { RePresentInfo } from './flows/load/torn-load.ts';
import { recoverCollect, runCollect, type CollectOutcome } from './flows/collect/collect-flow.ts';

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

export class Kiosk extends EventEmitter<KioskEvents> {
  readonly journal: KioskJournal;
  readonly link: KioskLink;
  /** Whether the kiosk can serve now and why not; device faults are reported from here. */
  readonly status: ServiceStatus;
  private readonly log: Logger;
  /** A load in progress owns its journal record: recovery must not touch it until the load returns. */
  private busy = false;
  /** Aborted by stop(): a load waiting for its card back stops waiting, its record left for recovery. */
  /** Aborted by stop(); a start() after it (the technician's restart) begins with a fresh one. */
  private stopping = new AbortController();
  private recovering: Promise<void> | null = null;
  /** Set by drain(): a stop is under way and no new transaction starts. */
  private draining = false;
  /** False while the journal could not be opened: nothing that needs it runs. */
  private journalOpen = false;

  constructor(private readonly o: KioskOptions) {
    super();
    this.log = o.log.child({ kiosk: o.id });
    this.journal = new KioskJournal(join(o.dataDir, `kiosk-${o.id}`), o.id, this.log);
    this.link = new KioskLink({
      url: o.mqttUrl, ...(o.mqttTls ? { tls: o.mqttTls } : {}), kioskId: o.id, version: o.version, log: this.log,
      ...(o.requestTimeoutMs ? { requestTimeoutMs: o.requestTimeoutMs } : {}),
    });
    this.status = new ServiceStatus({
      reader: o.reader, pinPad: o.pinPad, link: this.link, log: this.log,
      ...(o.printer ? { printer: o.printer } : {}), ...(o.io ? { io: o.io } : {}),
    });
    this.link.on('online', () => {
      this.recover().catch((err) => this.log.error('recovery failed', { error: err as Error }));
    });
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
    // The status listens before anything starts: a device that fails as it starts is a fault, not a silent in-service.
    this.status.start();
    for (const { device, error } of this.o.startFaults ?? []) this.status.fault(device, error);
    try {
      await this.journal.open();
      this.journalOpen = true;
    } catch (err) {
      this.log.error('journal not opened: out of service until an operator repairs it', { error: err as Error });
      this.status.fault('journal', err);
    }
    for (const part of this.parts) await part.start().catch((err: unknown) => this.status.fault(part.name, err));
    this.status.devicesStarted();
    await this.link.start();
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    await this.link.stop();
    // A recovery pass still running (after the last load) finishes before the journal under it closes.
    await this.recovering?.catch(() => {});
    this.status.stop();
    for (const part of this.parts.reverse()) await part.stop().catch((err: unknown) => this.log.warn('device did not stop cleanly', { device: part.name, error: err as Error }));
    if (this.journalOpen) await this.journal.close();
    this.journalOpen = false;
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
    if (!this.journalOpen) return; // already out of service for it, and showing why
    await this.journal.store.touch();
  }

  /** Money moves only with a journal to write each step to first. */
  private claim(): void {
    if (this.draining) throw new QuancunError('KIOSK_STOPPING', 'the kiosk is stopping');
    if (!this.journalOpen) throw new QuancunError('JOURNAL_UNAVAILABLE', 'the kiosk journal is not open');
    if (this.busy) throw new QuancunError('TXN_STATE', 'a transaction is already in progress at this kiosk');
  }

  async load(session: CardSession, amount: number, options: { signal?: AbortSignal } = {}): Promise<LoadOutcome> {
    this.claim();
    this.busy = true;
    try {
      return await runLoad(
        {
          journal: this.journal, link: this.link, pinPad: this.o.pinPad, terminalId: this.o.terminalId, log: this.log,
          reader: this.o.reader, cardProfile: this.o.cardProfile ?? CAMPUS_CARD_PROFILE, stopSignal: this.stopping.signal,
          onStep: (s) => this.emit('step', s), onRePresent: (info) => this.emit('re-present', info), ...options,
        },
        session,
        amount,
      );
    } finally {
      this.busy = false;
      this.emit('idle');
      if (this.link.online) void this.recover().catch((err) => this.log.error('recovery failed', { error: err as Error }));
    }
  }

  /** Writes the card's pending loads (圈存未领, `session.account.pendingLoads`) onto it: 领款 / 补写. */
  async collect(session: CardSession): Promise<CollectOutcome[]> {
    this.claim();
    if (!this.link.online) throw new QuancunError('LINK_OFFLINE', 'the gateway is not reachable');
    this.busy = true;
    try {
      return await runCollect({ journal: this.journal, link: this.link, terminalId: this.o.terminalId, log: this.log }, session);
    } finally {
      this.busy = false;
      this.emit('idle');
      if (this.link.online) void this.recover().catch((err) => this.log.error('recovery failed', { error: err as Error }));
    }
  }

  /**
   * Brings every unfinished record to a definite end with the gateway's journal as the other witness (see
   * flows/load/load-recovery.ts and collect-flow.ts): never a money step repeated blindly. Runs on every (re)connection.
   */
  recover(): Promise<void> {
    if (this.busy || !this.journalOpen || this.stopping.signal.aborted) return Promise.resolve();
    this.recovering ??= this.recoverOnce().finally(() => (this.recovering = null));
    return this.recovering;
  }

  private async recoverOnce(): Promise<void> {
    const ends = [
      ...(await this.journal.loads.unfinished()).map((rec) => ({ rec, end: () => recoverLoad(this, rec) })),
      ...(await this.journal.collects.unfinished()).map((rec) => ({ rec, end: () => recoverCollect(this, rec) })),
    ];
    for (const { rec, end } of ends) {
      try {
        const { state } = await end();
        this.log.info('recovered an unfinished transaction', { txnId: rec.id, from: rec.state, state });
        this.emit('recovered', rec.id, state);
      } catch (err) {
        this.log.warn('unfinished transaction left for the next try', { txnId: rec.id, state: rec.state, code: QuancunError.from(err).code });
      }
    }
    // Then the reports, recovery's among them, in the order they were journaled (runtime/outbox/).
    await this.journal.outbox.drain(this.link);
  }
}
