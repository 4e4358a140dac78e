/**
 * One serial connection that survives its device: opening, reading and writing through whatever stream an opener
 * gives (a real serialport or an in-memory cable), reporting `down` when the port errors or closes, and reopening
 * with backoff until the device returns. It never throws out of an event handler, so a lost device cannot end the
 * process. Printer and PIN pad drivers both sit on this.
 */
import { Backoff } from '../../common/backoff.ts';
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { QuancunError } from '../../common/errors.ts';
import { disabledInspector, type TrafficInspector } from './traffic-inspector.ts';

/** Opens the port; rejects when the device is not there. */
export type SerialOpener = () => Promise<Duplex>;

export interface SerialLinkOptions {
  name: string;
  open: SerialOpener;
  inspector?: TrafficInspector;
  /** When the driver traces received bytes itself (after framing, to redact them), the link does not. */
  traceRx?: boolean;
  backoff?: { initialMs?: number; maxMs?: number };
}

export interface SerialLinkEvents {
  up: [];
  down: [error: Error];
  data: [chunk: Buffer];
}

export class SerialLink extends EventEmitter<SerialLinkEvents> {
  readonly name: string;
  readonly inspector: TrafficInspector;
  #options: SerialLinkOptions;
  #stream: Duplex | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #backoff: Backoff;
  #running = false;

  constructor(options: SerialLinkOptions) {
    super();
    this.name = options.name;
    this.inspector = options.inspector ?? disabledInspector;
    this.#options = options;
    this.#backoff = new Backoff({ minMs: options.backoff?.initialMs ?? 100, maxMs: options.backoff?.maxMs ?? 5000 });
  }

  get isUp(): boolean {
    return this.#stream !== undefined;
  }

  /** Resolves after the first attempt, whether or not the device was there; later attempts run on their own. */
  async start(): Promise<void> {
    this.#running = true;
    await this.#attempt();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#timer);
    const stream = this.#stream;
    this.#stream = undefined;
    if (stream && !stream.destroyed) {
      await new Promise<void>((resolve) => {
        stream.once('close', () => resolve());
        stream.destroy();
      });
    }
  }

  /** Writes and waits until the bytes left; `shown` is what the inspector prints instead of the bytes (redaction). */
  async write(bytes: Buffer, shown: Buffer = bytes): Promise<void> {
    const stream = this.#stream;
    if (!stream) throw new QuancunError('DEVICE_UNAVAILABLE', `${this.name} is not connected`, { device: this.name });
    if (this.inspector.enabled) this.inspector.trace(this.name, 'tx', shown);
    await new Promise<void>((resolve, reject) => {
      stream.write(bytes, (err) => {
        if (!err) return resolve();
        this.#lost(stream, err);
        reject(new QuancunError('DEVICE_UNAVAILABLE', `${this.name}: ${err.message}`, { device: this.name }, { cause: err }));
      });
    });
  }

  /** For drivers that trace received frames themselves (see `traceRx`). */
  traceRx(shown: Buffer): void {
    if (this.inspector.enabled) this.inspector.trace(this.name, 'rx', shown);
  }

  async #attempt(): Promise<void> {
    if (!this.#running || this.#stream) return;
    let stream: Duplex;
    try {
      stream = await this.#options.open();
    } catch (err) {
      this.emit('down', err as Error);
      this.#retry();
      return;
    }
    if (!this.#running) {
      stream.destroy();
      return;
    }
    this.#stream = stream;
    this.#backoff.reset();
    stream.on('data', (chunk: Buffer) => {
      if (this.#options.traceRx !== false && this.inspector.enabled) this.inspector.trace(this.name, 'rx', chunk);
      this.emit('data', chunk);
    });
    stream.on('error', (err) => this.#lost(stream, err));
    stream.on('close', () => this.#lost(stream, new Error('port closed')));
    this.emit('up');
  }

  #lost(stream: Duplex, err: Error): void {
    if (this.#stream !== stream) return; // already handled, or a stale stream
    this.#stream = undefined;
    if (!stream.destroyed) stream.destroy();
    if (!this.#running) return;
    this.emit('down', err);
    this.#retry();
  }

  #retry(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#attempt(), this.#backoff.next());
  }
}
