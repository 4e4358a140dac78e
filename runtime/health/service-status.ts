/**
 * Whether the kiosk can serve, and why not: one place that watches every device and the link, decides the kiosk's
 * mode, reports each device fault to the gateway and drives the status LEDs. The screens read `reason`; they never
 * look at devices themselves. A fault never stops the process: the devices retry, and `ready` brings service back.
 */
import { EventEmitter } from 'node:events';
import type { EventPayload, KioskMode } from '../../common/api/topics.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import type { Logger } from '../../common/log.ts';
import type { CardReader } from '../../hal/card-reader/card-reader.ts';
import type { KioskIo } from '../../hal/gpio/gpio.ts';
import type { PinPad } from '../../hal/pin-pad/pin-pad.ts';
import { printerStatusError, type ReceiptPrinter } from '../../hal/printer/printer.ts';
import type { KioskLink } from '../link/kiosk-link.ts';

/** A part of the kiosk the status watches, by the name fault events and the maintenance screen give it. */
export type DeviceName = 'journal' | 'door' | 'card-reader' | 'pin-pad' | 'display' | 'touch' | 'receipt-printer' | 'i2c';

/**
 * Which faults stop service, most urgent first. A printer fault only withdraws the receipt offer; the I2C devices
 * (identity EEPROM, thermometer) are reported and do not stop a cardholder.
 */
const BLOCKING: readonly DeviceName[] = ['journal', 'door', 'card-reader', 'pin-pad', 'display', 'touch'];

export interface ServiceStatusOptions {
  reader: CardReader;
  pinPad: PinPad;
  link: KioskLink;
  log: Logger;
  printer?: ReceiptPrinter;
  io?: KioskIo;
}

export class ServiceStatus extends EventEmitter<{ change: [reason: ErrorCode | null] }> {
  readonly #o: ServiceStatusOptions;
  readonly #faults = new Map<DeviceName, QuancunError>();
  /** Devices whose fault event went out and whose `fault-cleared` has not: each fault gets its cleared partner. */
  readonly #reported = new Set<DeviceName>();
  /** An operator's out-of-service (remote command), with the reason the screen shows. */
  #hold: string | null = null;
  readonly #unsubscribe: Array<() => void> = [];
  #reason: ErrorCode | null = null;

  constructor(o: ServiceStatusOptions) {
    super();
    this.#o = o;
  }

  /** The kiosk state's mode for the reason now. */
  get mode(): KioskMode {
    const reason = this.#reason;
    return reason === null ? 'in-service' : reason === 'DOOR_OPEN' ? 'maintenance' : reason === 'LINK_OFFLINE' ? 'offline' : 'out-of-service';
  }

  /** The operator's reason while an out-of-service command holds the kiosk (reason OPERATOR_OUT_OF_SERVICE). */
  get note(): string | null {
    return this.#hold;
  }

  /** Why the kiosk cannot serve now (OPERATOR_OUT_OF_SERVICE, JOURNAL_DAMAGED, DOOR_OPEN, READER_UNAVAILABLE, DEVICE_UNAVAILABLE, LINK_OFFLINE), or null. */
  get reason(): ErrorCode | null {
    return this.#reason;
  }

  /** The devices at fault now, with their errors: for the maintenance screen and tests. */
  get faults(): ReadonlyMap<DeviceName, QuancunError> {
    return this.#faults;
  }

  start(): void {
    const { reader, pinPad, printer, io, link } = this.#o;
    const on = (emitter: EventEmitter<any>, event: string, fn: (...args: any[]) => void) => {
      emitter.on(event, fn);
      this.#unsubscribe.push(() => emitter.off(event, fn));
    };
    on(reader, 'fault', (err: Error) => this.#fault('card-reader', err));
    on(reader, 'ready', () => this.#clear('card-reader'));
    on(pinPad, 'fault', (err: Error) => this.#fault('pin-pad', err));
    on(pinPad, 'ready', () => this.#clear('pin-pad'));
    if (printer) {
      on(printer, 'fault', (err: Error) => this.#fault('receipt-printer', err));
      on(printer, 'ready', () => this.#clear('receipt-printer'));
    }
    if (io) {
      on(io, 'door', (open: boolean) => (open ? this.#fault('door', new QuancunError('DOOR_OPEN', 'the kiosk door was opened')) : this.#clear('door')));
    }
    // Faults seen while the link was down are told once it is back: the gateway must not learn of them by chance.
    on(link, 'online', () => {
      for (const [device, error] of this.#faults) this.#report(device, error);
      for (const device of this.#reported) if (!this.#faults.has(device)) this.#reportCleared(device);
      this.#update();
    });
    on(link, 'unreachable', () => this.#update());
    this.#update();
  }

  /**
   * Once the devices have started: what they know without an event. A printer that cannot print from the start, or
   * a door open at power-on, never emits a change.
   */
  devicesStarted(): void {
    const { printer, io } = this.#o;
    if (printer && !printer.canPrint) this.#fault('receipt-printer', printerStatusError(printer.status, printer.name));
    if (io?.doorOpen) this.#fault('door', new QuancunError('DOOR_OPEN', 'the kiosk door is open'));
  }

  stop(): void {
    for (const off of this.#unsubscribe.splice(0)) off();
  }

  /** A fault the controller saw itself: a device that could not be opened or started, a journal that did not open. */
  fault(device: DeviceName, err: unknown): void {
    this.#fault(device, err as Error);
  }

  /** An operator's out-of-service with its reason, or (null) its end; the faults still decide after it. */
  hold(note: string | null): void {
    this.#hold = note;
    this.#update(true);
  }

  #fault(device: DeviceName, err: Error): void {
    const error = QuancunError.from(err);
    const known = this.#faults.get(device);
    this.#faults.set(device, error);
    if (known?.code === error.code) return;
    this.#o.log.warn('device fault', { device, code: error.code, reason: error.message });
    this.#report(device, error);
    this.#update();
  }

  #clear(device: DeviceName): void {
    if (!this.#faults.delete(device)) return;
    this.#o.log.info('device back in order', { device });
    if (this.#reported.has(device)) this.#reportCleared(device);
    this.#update();
  }

  #report(device: DeviceName, error: QuancunError): void {
    if (!this.#o.link.online) return;
    const event: EventPayload<'fault'> = { device, code: error.code, message: error.message, at: new Date().toISOString() };
    this.#reported.add(device);
    this.#o.link.publishEvent('fault', event).catch((err: unknown) =>
      this.#o.log.warn('fault report not sent; it is sent again when the link returns', { device, code: QuancunError.from(err).code }),
    );
  }

  /** Owed until sent: a fault that cleared while the link was down gets its partner when the link returns. */
  #reportCleared(device: DeviceName): void {
    if (!this.#o.link.online) return;
    this.#reported.delete(device);
    this.#o.link.publishEvent('fault-cleared', { device, at: new Date().toISOString() }).catch((err: unknown) => {
      this.#reported.add(device);
      this.#o.log.warn('fault-cleared report not sent; sent when the link returns', { device, code: QuancunError.from(err).code });
    });
  }

  /** `force`: publish the state even when the reason stays (the operator's note changed). */
  #update(force = false): void {
    const blocking = BLOCKING.find((d) => this.#faults.has(d));
    const reason = this.#hold !== null ? 'OPERATOR_OUT_OF_SERVICE'
      : blocking ? this.#faults.get(blocking)!.code : this.#o.link.reachable ? null : 'LINK_OFFLINE';
    if (reason === this.#reason && !force) return;
    this.#reason = reason;
    this.#o.link.publishState(this.mode, reason ?? undefined, this.#hold ?? undefined).catch(() => {});
    this.#o.io?.setLed('ready', reason === null).catch(() => {});
    this.#o.io?.setLed('fault', reason !== null && reason !== 'LINK_OFFLINE').catch(() => {});
    this.emit('change', reason);
  }
}
