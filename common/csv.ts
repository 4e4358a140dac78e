/**
 * RFC 4180 CSV, a header line first, CRLF line ends: a cell with a comma, quote or line break is quoted with its
 * quotes doubled; an absent value is an empty cell and an object is its JSON. The reconciliation reports and the
 * console's audit export are written with it.
 */
export function toCsv<R>(columns: ReadonlyArray<keyof R & string>, rows: readonly R[]): string {
  const cell = (v: unknown) => {
    const text = v === null || v === undefined ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
  };
  return [columns.join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))].map((line) => `${line}\r\n`).join('');
}

/**
 * Reads RFC 4180 CSV (CRLF or LF line ends, quoted cells with doubled quotes, a leading BOM dropped) into rows, each
 * with the line it starts on, so a checker can name the line an operator sees in an editor. Blank lines are skipped;
 * an unterminated quote is `null` (the caller names the line).
 */
export function parseCsv(text: string): { rows: Array<{ line: number; cells: string[] }>; unterminatedAt: number | null } {
  const rows: Array<{ line: number; cells: string[] }> = [];
  const src = text.startsWith('\uFEFF') ? text.slice(1) : text;
  let line = 1;
  let start = 1;
  let cells: string[] = [];
  let cell = '';
  let quoted = false;
  const endRow = () => {
    cells.push(cell);
    if (cells.length > 1 || cells[0] !== '') rows.push({ line: start, cells });
    cells = [];
    cell = '';
  };
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (quoted) {
      if (ch === '"' && src[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (ch === '"') {
        quoted = false;
      } else {
        if (ch === '\n') line++;
        cell += ch;
      }
    } else if (ch === '"' && cell === '') {
      quoted = true;
    } else if (ch === ',') {
      cells.push(cell);
      cell = '';
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      endRow();
      line++;
      start = line;
    } else {
      cell += ch;
    }
  }
  if (quoted) return { rows, unterminatedAt: start };
  endRow();
  return { rows, unterminatedAt: null };
}
