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
