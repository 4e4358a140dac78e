/**
 * A subsidy as the campus issues it, and every check a line must pass before any of its batch is imported: a known
 * campus account, an amount in yuan (up to two decimals), a reason, a period (yyyy-mm), an expiry (yyyy-mm-dd, the
 * last campus day it can be collected, not before today), and no second line for the same account, reason and
 * period. Pure: the caller says which accounts exist and what day it is.
 */
import { parseCsv } from '../../common/csv.ts';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { parseYuan } from '../../common/money.ts';

export interface SubsidyLine {
  /** The line of the file (1 is the header); 0 for one issued on its own. */
  line: number;
  campusAccount: string;
  /** fen */
  amount: number;
  reason: string;
  period: string;
  expires: string;
}

export interface LineProblem {
  line: number;
  code: ErrorCode;
  message: string;
}

/** The raw fields of one subsidy, as typed in a CSV line or on the command line. */
export interface SubsidyFields {
  account: string;
  amount: string;
  reason: string;
  period: string;
  expires: string;
}

export const SUBSIDY_COLUMNS = ['account', 'amount', 'reason', 'period', 'expires'] as const;

const PERIOD = /^\d{4}-(0[1-9]|1[0-2])$/;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const MAX_REASON = 32;

function isCalendarDate(text: string): boolean {
  return DATE.test(text) && new Date(`${text}T00:00:00Z`).toISOString().slice(0, 10) === text;
}

export interface LineContext {
  accountExists: (campusAccount: string) => Promise<boolean>;
  /** Today on the campus's calendar, yyyy-mm-dd. */
  today: string;
}

/** One line's fields checked on their own; a problem names the field. */
export async function checkFields(line: number, f: SubsidyFields, ctx: LineContext): Promise<SubsidyLine | LineProblem> {
  const problem = (code: ErrorCode, message: string): LineProblem => ({ line, code, message: `line ${line}: ${message}` });
  const account = f.account.trim();
  const reason = f.reason.trim();
  const period = f.period.trim();
  const expires = f.expires.trim();
  if (!account) return problem('SUBSIDY_LINE_INVALID', 'the account is empty');
  if (!reason || [...reason].length > MAX_REASON || /[\p{Cc}]/u.test(reason)) {
    return problem('SUBSIDY_LINE_INVALID', `the reason must be 1 to ${MAX_REASON} characters of text`);
  }
  if (!PERIOD.test(period)) return problem('SUBSIDY_LINE_INVALID', `the period ${JSON.stringify(period)} is not yyyy-mm`);
  let amount: number;
  try {
    amount = parseYuan(f.amount);
  } catch {
    return problem('SUBSIDY_AMOUNT_INVALID', `the amount ${JSON.stringify(f.amount)} is not yuan greater than zero with at most two decimals`);
  }
  if (!isCalendarDate(expires)) return problem('SUBSIDY_EXPIRY_PAST', `the expiry ${JSON.stringify(expires)} is not a date yyyy-mm-dd`);
  if (expires < ctx.today) return problem('SUBSIDY_EXPIRY_PAST', `the expiry ${expires} is before today (${ctx.today})`);
  if (!(await ctx.accountExists(account))) return problem('SUBSIDY_ACCOUNT_UNKNOWN', `no campus account ${account}`);
  return { line, campusAccount: account, amount, reason, period, expires };
}

/**
 * Every line of a CSV batch, or a SUBSIDY_BATCH_INVALID naming each bad line (its problems in `details.problems`):
 * a batch with any bad line is refused whole.
 */
export async function checkBatch(text: string, ctx: LineContext): Promise<SubsidyLine[]> {
  const { rows, unterminatedAt } = parseCsv(text);
  // The rest of the file is inside the quote: no line after it can be read.
  if (unterminatedAt !== null) throw refused([{ line: unterminatedAt, code: 'SUBSIDY_LINE_INVALID', message: `line ${unterminatedAt}: a quote is never closed` }]);
  const problems: LineProblem[] = [];
  const [header, ...body] = rows;
  const names = header?.cells.map((c) => c.trim().toLowerCase()) ?? [];
  const missing = SUBSIDY_COLUMNS.filter((c) => !names.includes(c));
  if (!header || missing.length > 0) {
    throw refused([{ line: header?.line ?? 1, code: 'SUBSIDY_LINE_INVALID', message: `line ${header?.line ?? 1}: the header lacks ${missing.join(', ')} (columns: ${SUBSIDY_COLUMNS.join(',')})` }]);
  }
  if (body.length === 0) throw refused([{ line: header.line, code: 'SUBSIDY_LINE_INVALID', message: 'the batch has no subsidy lines' }]);
  const lines: SubsidyLine[] = [];
  const seen = new Map<string, number>();
  for (const row of body) {
    if (row.cells.length !== names.length) {
      problems.push({ line: row.line, code: 'SUBSIDY_LINE_INVALID', message: `line ${row.line}: ${row.cells.length} fields, the header has ${names.length}` });
      continue;
    }
    const cell = (name: string) => row.cells[names.indexOf(name)]!;
    const checked = await checkFields(row.line, { account: cell('account'), amount: cell('amount'), reason: cell('reason'), period: cell('period'), expires: cell('expires') }, ctx);
    if ('code' in checked) {
      problems.push(checked);
      continue;
    }
    const key = JSON.stringify([checked.campusAccount, checked.reason, checked.period]);
    const first = seen.get(key);
    if (first !== undefined) {
      problems.push({ line: row.line, code: 'SUBSIDY_LINE_DUPLICATE', message: `line ${row.line}: the same account, reason and period as line ${first}` });
      continue;
    }
    seen.set(key, row.line);
    lines.push(checked);
  }
  if (problems.length > 0) throw refused(problems);
  return lines;
}

function refused(problems: LineProblem[]): QuancunError {
  const sorted = [...problems].sort((a, b) => a.line - b.line);
  return new QuancunError('SUBSIDY_BATCH_INVALID', `nothing imported: ${sorted.map((p) => p.message).join('; ')}`, { problems: sorted });
}
