/**
 * What the printer emulator printed, as text (for assertions and the technician's log) and as a PNG (for eyes and the
 * docs). One pixel is one printer dot. Font A cells: 12 x 24 dots, a CJK character two cells; the QR code is drawn
 * module by module at the module size the printer was given (GS ( k), so a QR reader decodes the picture.
 */
import { createCanvas, GlobalFonts } from '@napi-rs/canvas';
import { QuancunError } from '../../common/errors.ts';
import { QR_QUIET_ZONE, qrModules } from '../../common/qr.ts';
import { cellWidth, textWidth } from '../../hal/printer/document.ts';
import type { PrintedLine, PrintedReceipt } from './escpos-emulator.ts';

/** Debian fonts-wqy-microhei; pass another path on a board without system fonts. */
export const DEFAULT_RECEIPT_FONT = '/usr/share/fonts/truetype/wqy/wqy-microhei.ttc';
const FAMILY = 'QuancunReceipt';

function lineText(line: PrintedLine): string {
  return line.kind === 'qr' ? `[QR ${line.data}]` : line.runs.map((r) => r.text).join('');
}

/** One string per printed line, aligned within `columns` cells as the printer would place it. */
export function receiptLines(receipt: PrintedReceipt, columns: number): string[] {
  return receipt.lines.map((line) => {
    const text = lineText(line);
    const width = line.kind === 'qr' ? textWidth(text) : line.runs.reduce((w, r) => w + textWidth(r.text) * r.width, 0);
    const gap = Math.max(0, columns - width);
    const pad = line.align === 'center' ? Math.floor(gap / 2) : line.align === 'right' ? gap : 0;
    return (' '.repeat(pad) + text).trimEnd();
  });
}

export function receiptText(receipt: PrintedReceipt, columns: number): string {
  return receiptLines(receipt, columns).join('\n');
}

const registered = new Set<string>();

export function renderReceiptPng(receipt: PrintedReceipt, options: { columns: number; fontPath?: string }): Buffer {
  const fontPath = options.fontPath ?? DEFAULT_RECEIPT_FONT;
  if (!registered.has(fontPath)) {
    if (!GlobalFonts.registerFromPath(fontPath, FAMILY)) throw new QuancunError('CONFIG_INVALID', `cannot load the receipt font ${fontPath}`, { fontPath });
    registered.add(fontPath);
  }
  const CELL = 12;
  const LINE = 30;
  const MARGIN = 16;
  // The quiet zone is part of the symbol's box, in modules of the printer's size.
  const symbols = receipt.lines.map((l) => {
    if (l.kind !== 'qr') return undefined;
    const modules = qrModules(l.data);
    return { modules, side: (modules.length + 2 * QR_QUIET_ZONE) * l.moduleSize };
  });
  const heights = receipt.lines.map((l, i) => (l.kind === 'qr' ? symbols[i]!.side : LINE * Math.max(1, ...l.runs.map((r) => r.height))));
  const width = options.columns * CELL + 2 * MARGIN;
  const height = heights.reduce((a, b) => a + b, 0) + 2 * MARGIN;
  const canvas = createCanvas(width, height);
  const ctx = canvas.getContext('2d');
  ctx.fillStyle = '#fffdf5';
  ctx.fillRect(0, 0, width, height);
  ctx.fillStyle = '#111';
  ctx.textBaseline = 'top';
  let y = MARGIN;
  receipt.lines.forEach((line, i) => {
    const rowHeight = heights[i]!;
    if (line.kind === 'qr') {
      const { modules, side: size } = symbols[i]!;
      const x = line.align === 'center' ? Math.floor((width - size) / 2) : line.align === 'right' ? width - MARGIN - size : MARGIN;
      ctx.fillStyle = '#ffffff';
      ctx.fillRect(x, y, size, size);
      ctx.fillStyle = '#111';
      const dot = line.moduleSize;
      const origin = QR_QUIET_ZONE * dot;
      modules.forEach((row, my) => row.forEach((dark, mx) => dark && ctx.fillRect(x + origin + mx * dot, y + origin + my * dot, dot, dot)));
    } else {
      const cells = line.runs.reduce((w, r) => w + textWidth(r.text) * r.width, 0);
      const gap = Math.max(0, options.columns - cells);
      let x = MARGIN + CELL * (line.align === 'center' ? Math.floor(gap / 2) : line.align === 'right' ? gap : 0);
      for (const run of line.runs) {
        ctx.font = `${run.bold ? 'bold ' : ''}${22 * run.height}px ${FAMILY}`;
        for (const ch of run.text) {
          const w = cellWidth(ch) * CELL * run.width;
          // monospaced placement, as a printer's cell grid; wide glyphs stretched by the width factor
          ctx.save();
          ctx.translate(x, y);
          ctx.scale(run.width / run.height, 1);
          ctx.fillText(ch, 0, 2);
          ctx.restore();
          x += w;
        }
      }
    }
    y += rowHeight;
  });
  return canvas.toBuffer('image/png');
}
