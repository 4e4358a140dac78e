/**
 * ESC/POS bytes for a PrinterDocument, through @point-of-sale/receipt-printer-encoder (initialise, styles, QR, cut).
 * The encoder writes text through single-byte code pages only, so Chinese goes as raw bytes: FS & (Chinese mode on),
 * the text in GB18030, FS . (off). Lines are laid out here (the encoder counts raw bytes as zero width).
 * Also the DLE EOT status queries and how to read their answers.
 */
import ReceiptPrinterEncoder from '@point-of-sale/receipt-printer-encoder';
import iconv from 'iconv-lite';
import { pairLines, placeLine, wrap, type PrinterDocument } from './document.ts';

const FS_CHINESE_ON = [0x1c, 0x26];
const FS_CHINESE_OFF = [0x1c, 0x2e];

export const PRINTER_COLUMNS = [32, 35, 42, 44, 48] as const;
export type PrinterColumns = (typeof PRINTER_COLUMNS)[number];

export interface EscPosOptions {
  /** Font A cells per line: 32 on 58 mm paper, 48 on 80 mm (the encoder takes 32, 35, 42, 44 or 48). */
  columns: PrinterColumns;
}

export function encodeEscPos(doc: PrinterDocument, options: EscPosOptions): Buffer {
  const columns = options.columns;
  const enc = new ReceiptPrinterEncoder({ language: 'esc-pos', columns, newline: '\n', feedBeforeCut: 0 });
  enc.initialize();
  const line = (text: string) => {
    // ASCII through the encoder, everything else as one GB18030 run in Chinese mode
    for (const run of text.match(/[\x00-\x7f]+|[^\x00-\x7f]+/g) ?? []) {
      if (/^[\x00-\x7f]/.test(run)) enc.text(run);
      else enc.raw([...FS_CHINESE_ON, ...iconv.encode(run, 'gb18030'), ...FS_CHINESE_OFF]);
    }
    enc.newline();
  };
  for (const block of doc) {
    switch (block.kind) {
      case 'text': {
        const size = block.size ?? 1;
        const cells = Math.floor(columns / size);
        if (block.bold) enc.bold(true);
        if (size !== 1) enc.size(size, size);
        for (const piece of wrap(block.text, cells)) line(placeLine(piece, cells, block.align ?? 'left'));
        if (size !== 1) enc.size(1, 1);
        if (block.bold) enc.bold(false);
        break;
      }
      case 'pair':
        if (block.bold) enc.bold(true);
        for (const piece of pairLines(block.left, block.right, columns)) line(piece);
        if (block.bold) enc.bold(false);
        break;
      case 'rule':
        line('-'.repeat(columns));
        break;
      case 'qr':
        enc.align('center').qrcode(block.data, { model: 2, size: block.size ?? 6, errorlevel: 'm' }).align('left');
        break;
      case 'feed':
        enc.newline(block.lines);
        break;
      case 'cut':
        enc.cut('partial');
        break;
    }
  }
  return Buffer.from(enc.encode());
}

/** DLE EOT n: real-time status, answered even while the printer is busy or in error. */
export const STATUS_QUERY = {
  printer: Buffer.from([0x10, 0x04, 0x01]),
  offline: Buffer.from([0x10, 0x04, 0x02]),
  paper: Buffer.from([0x10, 0x04, 0x04]),
} as const;

export interface PrinterStatus {
  /** It answered its last status query and is not offline for a reason other than paper or cover. */
  online: boolean;
  paperOut: boolean;
  paperNearEnd: boolean;
  coverOpen: boolean;
}

/** A status byte has bit 1 and bit 4 set and bits 0 and 7 clear. */
export const isStatusByte = (b: number) => (b & 0x93) === 0x12;

/** From the answers to DLE EOT 1, 2 and 4 (bit meanings as in the Epson ESC/POS reference). */
export function parseStatus(printer: number, offline: number, paper: number): PrinterStatus {
  const coverOpen = (offline & 0x04) !== 0;
  const paperOut = (offline & 0x20) !== 0 || (paper & 0x60) !== 0;
  // a printer goes offline when its paper ends or its cover opens; those are told apart, any other reason is not
  const offlineBit = (printer & 0x08) !== 0;
  return { online: !offlineBit || paperOut || coverOpen, coverOpen, paperOut, paperNearEnd: (paper & 0x0c) !== 0 };
}
