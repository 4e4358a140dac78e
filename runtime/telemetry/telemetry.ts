/**
 * The kiosk's periodic health report (event `telemetry`, declared in common/api/topics.ts): process figures, the
 * journal and outbox, each device's health as the service status sees it, paper, temperature, door, the day's counters
 * and the last money step. Sent every `intervalSeconds` while the broker is reachable; a report that cannot be sent is
 * dropped (the next one says the same, fresher). It names transactions by id, never a card.
 */
import { monitorEventLoopDelay, type IntervalHistogram } from 'node:perf_hooks';
import { QuancunError } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { EventPayload } from '../../common/api/topics.ts';
import type { KioskIo } from '../../hal/gpio/gpio.ts';
import type { ReceiptPrinter } from '../../hal/printer/printer.ts';
import type { DeviceName, ServiceStatus } from '../health/service-status.ts';
import { openRecords, type JournalSummary } from '../journal/kiosk-journal.ts';
import type { KioskLink } from '../link/kiosk-link.ts';
import type { DayCounters } from './day-counters.ts';

export type TelemetryReport = EventPayload<'telemetry'>;
export type MoneyStep = NonNullable<TelemetryReport['lastMoneyStep']>;

export interface TelemetryOptions {
  intervalSeconds: number;
  version: string;
  link: KioskLink;
  status: ServiceStatus;
  /** What the journal holds open (nothing when it could not be opened). */
  journalSummary: () => Promise<JournalSummary>;
  counters: DayCounters;
  lastMoneyStep: () => MoneyStep | undefined;
  /** The devices the kiosk was built with; a device at fault that is not among them is listed too. */
  devices: readonly DeviceName[];
  log: Logger;
  printer?: ReceiptPrinter;
  io?: KioskIo;
  thermometer?: { readCelsius(): Promise<number> };
}

const NS_PER_MS = 1e6;

export class KioskTelemetry {
  readonly #o: TelemetryOptions;
  readonly #startedAt = Date.now();
  #delay: IntervalHistogram | undefined;
  #timer: NodeJS.Timeout | undefined;

  constructor(o: TelemetryOptions) {
    this.#o = o;
  }

  start(): void {
    if (this.#timer) return;
    this.#delay = monitorEventLoopDelay({ resolution: 20 });
    this.#delay.enable();
    this.#timer = setInterval(() => void this.#send(), this.#o.intervalSeconds * 1000);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#timer = undefined;
    this.#delay?.disable();
  }

  /** The report as it would be sent now; the event-loop figures restart from here. */
  async snapshot(): Promise<TelemetryReport> {
    const o = this.#o;
    const [summary, temperatureC] = await Promise.all([o.journalSummary(), o.thermometer?.readCelsius().catch(() => undefined)]);
    const memory = process.memoryUsage();
    const last = o.lastMoneyStep();
    return {
      at: new Date().toISOString(),
      uptimeSeconds: Math.floor((Date.now() - this.#startedAt) / 1000),
      version: o.version,
      memory: { rssBytes: memory.rss, heapUsedBytes: memory.heapUsed, heapTotalBytes: memory.heapTotal },
      eventLoopDelayMs: this.#eventLoopDelay(),
      journal: { openRecords: openRecords(summary) },
      outboxDepth: summary.outboxDepth,
      devices: this.#devices(),
      paper: this.#paper(),
      ...(temperatureC === undefined ? {} : { temperatureC }),
      door: !o.io ? 'unknown' : o.io.doorOpen ? 'open' : 'closed',
      today: o.counters.value,
      ...(last ? { lastMoneyStep: last } : {}),
    };
  }

  async #send(): Promise<void> {
    try {
      await this.#o.link.publishEvent('telemetry', await this.snapshot());
    } catch (err) {
      const { code } = QuancunError.from(err);
      if (code !== 'LINK_OFFLINE') this.#o.log.warn('telemetry not sent', { code, error: err as Error });
    }
  }

  #eventLoopDelay(): TelemetryReport['eventLoopDelayMs'] {
    const h = this.#delay;
    // No sample yet (the first report right after start): the histogram's mean is NaN.
    if (!h || h.count === 0) return { mean: 0, p99: 0, max: 0 };
    const figures = { mean: h.mean / NS_PER_MS, p99: h.percentile(99) / NS_PER_MS, max: h.max / NS_PER_MS };
    h.reset();
    return figures;
  }

  #devices(): TelemetryReport['devices'] {
    const faults = this.#o.status.faults;
    const names = new Set<DeviceName>([...this.#o.devices, ...faults.keys()]);
    return Object.fromEntries([...names].map((name) => {
      const fault = faults.get(name);
      return [name, fault ? { ok: false, code: fault.code } : { ok: true }];
    }));
  }

  #paper(): TelemetryReport['paper'] {
    const printer = this.#o.printer;
    if (!printer) return 'no-printer';
    const { paperOut, paperNearEnd, online } = printer.status;
    return paperOut ? 'out' : !online ? 'unknown' : paperNearEnd ? 'near-end' : 'ok';
  }
}
