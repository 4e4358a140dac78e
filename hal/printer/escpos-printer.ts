/**
 * The ESC/POS receipt printer driver on a SerialLink (real port or in-memory cable). It polls DLE EOT status, so paper
 * running out mid-day, an opened cover or a printer switched off is seen before a cardholder is offered a receipt,
 * and it reports each change as events. Status queries and print jobs take turns on the wire.
 */
import { EventEmitter } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import type { SerialLink } from '../serial/serial-link.ts';
import type { PrinterDocument } from './document.ts';
import { encodeEscPos, isStatusByte, parseStatus, STATUS_QUERY, type PrinterColumns, type PrinterStatus } from './escpos.ts';
import { printerStatusError, type ReceiptPrinter, type ReceiptPrinterEvents } from './printer.ts';
import { answerDeadline, askUpTo } from '../../common/answer-deadline.ts';

export interface EscPosPrinterOptions {
  columns: PrinterColumns;
  pollMs?: number;
  answerTimeoutMs?: number;
  /** Status reads without an answer before the printer counts as offline. */
  answerTries?: number;
}

const OFFLINE: PrinterStatus = { online: false, paperOut: false, paperNearEnd: false, coverOpen: false };

export class EscPosPrinter extends EventEmitter<ReceiptPrinterEvents> implements ReceiptPrinter {
  readonly name: string;
  #link: SerialLink;
  #options: Required<EscPosPrinterOptions>;
  #status: PrinterStatus = OFFLINE;
  #known = false;
  #turn: Promise<unknown> = Promise.resolve();
  #byteWaiter: ((b: number) => void) | undefined;
  #pollTimer: NodeJS.Timeout | undefined;
  #running = false;

  constructor(link: SerialLink, options: EscPosPrinterOptions) {
    super();
    this.name = link.name;
    this.#link = link;
    this.#options = { pollMs: 2000, answerTimeoutMs: 500, answerTries: 3, ...options };
    link.on('data', (chunk) => {
      for (const b of chunk) if (isStatusByte(b)) this.#byteWaiter?.(b);
    });
    link.on('up', () => void this.refreshStatus().catch(() => {}));
    link.on('down', () => this.#update(OFFLINE));
  }

  get status(): PrinterStatus {
    return this.#status;
  }

  get canPrint(): boolean {
    return canPrint(this.#status);
  }

  async start(): Promise<void> {
    this.#running = true;
    await this.#link.start();
    await this.refreshStatus();
    this.#schedulePoll();
  }

  async stop(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#pollTimer);
    await this.#turn.catch(() => {});
    await this.#link.stop();
  }

  refreshStatus(): Promise<PrinterStatus> {
    return this.#exclusive(() => this.#query());
  }

  print(doc: PrinterDocument): Promise<void> {
    const bytes = encodeEscPos(doc, { columns: this.#options.columns });
    return this.#exclusive(async () => {
      const before = await this.#query();
      if (!canPrint(before)) throw printerStatusError(before, this.name);
      await this.#link.write(bytes);
      // paper that ran out during the job leaves a partial receipt: the runtime must know
      const after = await this.#query();
      if (after.paperOut || !after.online) throw printerStatusError(after, this.name, { partial: true });
    });
  }

  #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const run = this.#turn.then(job, job);
    this.#turn = run.catch(() => {});
    return run;
  }

  /**
   * DLE EOT 1, 2, 4 in turn; offline when `answerTries` reads in a row went unanswered. Between reads the line is left
   * quiet for one answer time with no one waiting, so a late byte is dropped rather than taken as the next answer.
   */
  async #query(): Promise<PrinterStatus> {
    const quiet = () => new Promise<void>((resolve) => setTimeout(resolve, this.#options.answerTimeoutMs));
    try {
      const [printer, offline, paper] = await askUpTo(this.#options.answerTries, async () => [
        await this.#ask(STATUS_QUERY.printer), await this.#ask(STATUS_QUERY.offline), await this.#ask(STATUS_QUERY.paper),
      ] as const, quiet);
      this.#update(parseStatus(printer, offline, paper));
    } catch {
      this.#update(OFFLINE);
    }
    return this.#status;
  }

  async #ask(query: Buffer): Promise<number> {
    const answer = new Promise<number>((resolve, reject) => {
      const deadline = answerDeadline(this.#options.answerTimeoutMs, () => {
        this.#byteWaiter = undefined;
        reject(new QuancunError('PRINTER_OFFLINE', 'printer did not answer a status query', { device: this.name }));
      });
      this.#byteWaiter = (b) => {
        deadline.clear();
        this.#byteWaiter = undefined;
        resolve(b);
      };
    });
    answer.catch(() => {});
    await this.#link.write(query);
    return answer;
  }

  #update(next: PrinterStatus): void {
    const prev = this.#status;
    const changed = !this.#known || JSON.stringify(prev) !== JSON.stringify(next);
    const wasKnown = this.#known;
    this.#known = true;
    this.#status = next;
    if (!changed) return;
    this.emit('status', next);
    if (canPrint(next) && (!wasKnown || !canPrint(prev))) this.emit('ready');
    else if (!canPrint(next) && (!wasKnown || canPrint(prev) || prev.paperOut !== next.paperOut)) this.emit('fault', printerStatusError(next, this.name));
  }

  #schedulePoll(): void {
    clearTimeout(this.#pollTimer);
    if (!this.#running) return;
    this.#pollTimer = setTimeout(() => {
      void this.refreshStatus().finally(() => this.#schedulePoll());
    }, this.#options.pollMs);
  }
}

function canPrint(s: PrinterStatus): boolean {
  return s.online && !s.paperOut && !s.coverOpen;
}

