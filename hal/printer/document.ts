/**
 * A printer document: what to print, independent of the printer language. formatReceipt builds one; the ESC/POS
 * encoder turns it into bytes. Widths are in character cells of font A: a CJK character takes two.
 */
export type Align = 'left' | 'center' | 'right';

export type Block =
  | { kind: 'text'; text: string; align?: Align; bold?: boolean; /** 2 = double width and height */ size?: 1 | 2 }
  /** A label on the left and a value flush right, e.g. an amount. */
  | { kind: 'pair'; left: string; right: string; bold?: boolean }
  | { kind: 'rule' }
  | { kind: 'qr'; data: string; /** module size in dots, 1..8 */ size?: number }
  | { kind: 'feed'; lines: number }
  | { kind: 'cut' };

export type PrinterDocument = Block[];

/** Cells a character takes: East Asian wide and fullwidth characters take two. */
export function cellWidth(ch: string): 1 | 2 {
  const c = ch.codePointAt(0)!;
  const wide =
    (c >= 0x1100 && c <= 0x115f) || (c >= 0x2e80 && c <= 0xa4cf) || (c >= 0xac00 && c <= 0xd7a3) ||
    (c >= 0xf900 && c <= 0xfaff) || (c >= 0xfe30 && c <= 0xfe4f) || (c >= 0xff00 && c <= 0xff60) ||
    (c >= 0xffe0 && c <= 0xffe6) || (c >= 0x20000 && c <= 0x3fffd);
  return wide ? 2 : 1;
}

export function textWidth(text: string): number {
  let w = 0;
  for (const ch of text) w += cellWidth(ch);
  return w;
}

/** Cuts text into lines of at most `columns` cells, never splitting a wide character. */
export function wrap(text: string, columns: number): string[] {
  const lines: string[] = [];
  let line = '';
  let width = 0;
  for (const ch of text) {
    const w = cellWidth(ch);
    if (width + w > columns) {
      lines.push(line);
      line = '';
      width = 0;
    }
    line += ch;
    width += w;
  }
  lines.push(line);
  return lines;
}

/** One line of exactly `columns` cells (or the text's own width when longer) laid out as asked. */
export function placeLine(text: string, columns: number, align: Align): string {
  const gap = Math.max(0, columns - textWidth(text));
  if (align === 'right') return ' '.repeat(gap) + text;
  if (align === 'center') return ' '.repeat(Math.floor(gap / 2)) + text;
  return text;
}

/** Label and value with the value flush right; a value that does not fit goes to its own right-aligned line. */
export function pairLines(left: string, right: string, columns: number): string[] {
  const gap = columns - textWidth(left) - textWidth(right);
  if (gap >= 1) return [left + ' '.repeat(gap) + right];
  return [...wrap(left, columns), placeLine(right, columns, 'right')];
}
