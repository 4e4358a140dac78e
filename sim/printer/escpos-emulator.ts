/**
 * A thermal receipt printer as a device: it reads ESC/POS from whatever stream it is attached to (the in-memory cable
 * or a socat pty), answers DLE EOT status queries from its paper/cover/power state, and collects what it printed as
 * receipts (one per cut). The device-side handle: receipts, paper near end / out, cover, power.
 */
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { EscPosParser, type Align, type EscPosOp } from './escpos-parser.ts';

export interface PrintedRun {
  text: string;
  bold: boolean;
  width: number;
  height: number;
}

export type PrintedLine =
  | { kind: 'text'; align: Align; runs: PrintedRun[] }
  | { kind: 'qr'; align: Align; data: string; moduleSize: number };

export interface PrintedReceipt {
  lines: PrintedLine[];
  cut: 'full' | 'partial';
}

export type PaperState = 'ok' | 'near-end' | 'out';

export interface PrinterDeviceEvents {
  receipt: [receipt: PrintedReceipt];
}

/** What a technician (or a test) can do to and see of the printer. */
export interface PrinterDevice extends EventEmitter<PrinterDeviceEvents> {
  readonly receipts: readonly PrintedReceipt[];
  readonly paper: PaperState;
  /** Print bytes that arrived while the printer could not print (no paper, cover open). */
  readonly droppedBytes: number;
  /** Bytes the parser did not understand. */
  readonly unknownBytes: number;
  setPaper(state: PaperState): void;
  openCover(): void;
  closeCover(): void;
  /** Off: answers nothing, prints nothing, like a printer switched off with its cable still in. */
  powerOff(): void;
  powerOn(): void;
  /** The next `n` status answers are lost on the line (noise, a loose connector): the printer itself is fine. */
  loseAnswers(n: number): void;
}

export class PrinterEmulator extends EventEmitter<PrinterDeviceEvents> implements PrinterDevice {
  readonly receipts: PrintedReceipt[] = [];
  paper: PaperState = 'ok';
  droppedBytes = 0;
  unknownBytes = 0;
  #coverOpen = false;
  #powered = true;
  #answersToLose = 0;
  #stream: Duplex | undefined;
  #parser = new EscPosParser();
  #lines: PrintedLine[] = [];
  #runs: PrintedRun[] = [];
  #style = { align: 'left' as Align, bold: false, width: 1, height: 1, qrSize: 3 };
  #qrData: Buffer | undefined;

  attach(stream: Duplex): void {
    this.#stream = stream;
    this.#parser = new EscPosParser();
    stream.on('data', (chunk: Buffer) => {
      if (this.#stream === stream && this.#powered) for (const op of this.#parser.push(chunk)) this.#apply(op);
    });
    stream.on('error', () => {}); // a pulled cable is the host's problem to report
    stream.on('close', () => {
      if (this.#stream === stream) this.#stream = undefined;
    });
  }

  setPaper(state: PaperState): void {
    this.paper = state;
  }
  openCover(): void {
    this.#coverOpen = true;
  }
  closeCover(): void {
    this.#coverOpen = false;
  }
  powerOff(): void {
    this.#powered = false;
    this.#parser = new EscPosParser();
  }
  powerOn(): void {
    this.#powered = true;
  }
  loseAnswers(n: number): void {
    this.#answersToLose = n;
  }

  /** DLE EOT answers, bits as in the Epson ESC/POS reference. */
  statusByte(n: number): number {
    const out = this.paper === 'out';
    const stopped = out || this.#coverOpen;
    if (n === 1) return 0x12 | (stopped ? 0x08 : 0);
    if (n === 2) return 0x12 | (this.#coverOpen ? 0x04 : 0) | (out ? 0x20 : 0);
    if (n === 4) return 0x12 | (this.paper !== 'ok' ? 0x0c : 0) | (out ? 0x60 : 0);
    return 0x12;
  }

  #apply(op: EscPosOp): void {
    if (op.op === 'status') {
      if (this.#answersToLose > 0) this.#answersToLose--;
      else this.#stream?.write(Buffer.from([this.statusByte(op.n)]));
      return;
    }
    if (this.paper === 'out' || this.#coverOpen) {
      if (op.op !== 'setting' && op.op !== 'init') this.droppedBytes += op.op === 'text' ? Buffer.byteLength(op.text) : 1;
      return;
    }
    const s = this.#style;
    switch (op.op) {
      case 'init':
        Object.assign(s, { align: 'left', bold: false, width: 1, height: 1 });
        break;
      case 'text':
        this.#runs.push({ text: op.text, bold: s.bold, width: s.width, height: s.height });
        break;
      case 'newline':
        this.#endLine();
        break;
      case 'feed':
        this.#endLine();
        for (let i = 0; i < op.lines; i++) this.#lines.push({ kind: 'text', align: s.align, runs: [] });
        break;
      case 'align': s.align = op.align; break;
      case 'bold': s.bold = op.on; break;
      case 'size': s.width = op.width; s.height = op.height; break;
      case 'qr-size': s.qrSize = op.size; break;
      case 'qr-store': this.#qrData = op.data; break;
      case 'qr-print':
        if (this.#qrData) this.#lines.push({ kind: 'qr', align: s.align, data: this.#qrData.toString('latin1'), moduleSize: s.qrSize });
        break;
      case 'cut': {
        this.#endLine(false);
        const receipt: PrintedReceipt = { lines: this.#lines, cut: op.partial ? 'partial' : 'full' };
        this.#lines = [];
        this.receipts.push(receipt);
        this.emit('receipt', receipt);
        break;
      }
      case 'unknown':
        this.unknownBytes += 1;
        break;
      case 'setting':
        break;
    }
  }

  #endLine(always = true): void {
    if (always || this.#runs.length) this.#lines.push({ kind: 'text', align: this.#style.align, runs: this.#runs });
    this.#runs = [];
  }
}
