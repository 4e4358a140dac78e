/**
 * The one-card system reached directly in the campus's PostgreSQL database. A campus's schema is its own, so the SQL
 * run is the config's (`oneCard.queries`, named parameters, docs/onecard.md), by default the sample schema's
 * (sim/onecard/onecard-schema.sql). A posting is one statement, so one transaction, and the status change is checked
 * in it, in SQL. A server that cannot be reached, a query that fails or rows not as agreed are ONECARD_UNAVAILABLE.
 */
import pg from 'pg';
import type { ONECARD_QUERY_PARAMETERS } from '../../common/config.ts';
import { maskCardNumbers, type Logger } from '../../common/log.ts';
import { positionalSql } from '../../common/named-sql.ts';
import { GATEWAY_SESSION } from '../store/pg-store.ts';
import { accountFrom, oneCardCardUnknown, oneCardRefused, oneCardUnavailable, wireStatuses, type CampusAccount, type OneCardPosting, type OneCardSystem, type WireStatus } from './one-card-system.ts';

type QueryName = keyof typeof ONECARD_QUERY_PARAMETERS;

/**
 * The sample schema's SQL. An account query returns at most one row with the columns campus_account, name, staff_no,
 * asn, bank_id and bank_pan (the last two may be null); the post query returns one row: outcome ('applied',
 * 'repeated', 'refused' or 'account-unknown') and status (the posting's status after).
 */
export const DEFAULT_ONECARD_QUERIES: Readonly<Record<QueryName, string>> = {
  accountByAsn: 'select campus_account, name, staff_no, asn, bank_id, bank_pan from onecard_accounts where asn = upper(:asn)',
  account: 'select campus_account, name, staff_no, asn, bank_id, bank_pan from onecard_accounts where campus_account = :campusAccount',
  post: 'select outcome, status from onecard_post(:txnId, :campusAccount, :amount, :status, :source, :at)',
};

export interface PgOneCardOptions {
  /** postgresql://user@host:port/database (the password from PGPASSWORD or ~/.pgpass). */
  url: string;
  poolSize: number;
  timeoutMs: number;
  queries: Partial<Record<QueryName, string>>;
  log: Logger;
}

type Row = Record<string, unknown>;

export class PgOneCard implements OneCardSystem {
  readonly kind = 'postgres';
  readonly #queries: Record<QueryName, { text: string; names: string[] }>;
  #pool: pg.Pool | undefined;

  constructor(private readonly o: PgOneCardOptions) {
    const sql = { ...DEFAULT_ONECARD_QUERIES, ...o.queries };
    this.#queries = { accountByAsn: positionalSql(sql.accountByAsn), account: positionalSql(sql.account), post: positionalSql(sql.post) };
  }

  /** The pool; connections are made when a query needs one, so a database that is down does not stop the gateway. */
  async open(): Promise<void> {
    const pool = new pg.Pool({
      connectionString: this.o.url, max: this.o.poolSize, connectionTimeoutMillis: this.o.timeoutMs, query_timeout: this.o.timeoutMs,
      application_name: GATEWAY_SESSION,
    });
    // An idle connection the server closed must not end the process: the next query takes another.
    pool.on('error', (err) => this.o.log.warn('one-card database connection lost', { error: err.message }));
    this.#pool = pool;
  }

  async close(): Promise<void> {
    const pool = this.#pool;
    this.#pool = undefined;
    await pool?.end();
  }

  async accountByAsn(asn: string): Promise<CampusAccount> {
    const account = await this.#account('accountByAsn', { asn });
    if (!account) throw oneCardCardUnknown(asn);
    return account;
  }

  account(campusAccount: string): Promise<CampusAccount | undefined> {
    return this.#account('account', { campusAccount });
  }

  async post(posting: OneCardPosting): Promise<OneCardPosting> {
    const [row, ...more] = await this.#query('post', { ...posting, source: posting.source ?? null });
    const status = row?.status === null ? undefined : (row?.status as WireStatus | undefined);
    if (!row || more.length > 0 || (status !== undefined && !wireStatuses.includes(status))) throw oneCardUnavailable('the post query did not return one row of outcome and status');
    switch (row.outcome) {
      case 'applied':
      case 'repeated':
        if (!status) break;
        return { ...posting, status };
      case 'refused':
        throw oneCardRefused(posting, `${status ?? 'new'} → ${posting.status} refused`);
      case 'account-unknown':
        throw oneCardRefused(posting, 'account-unknown');
    }
    throw oneCardUnavailable(`the post query's outcome is not one agreed: ${String(row.outcome)}`);
  }

  async #account(name: 'accountByAsn' | 'account', values: Record<string, unknown>): Promise<CampusAccount | undefined> {
    const rows = await this.#query(name, values);
    if (rows.length === 0) return undefined;
    const r = rows[0]!;
    const account = rows.length === 1
      ? accountFrom({ campusAccount: r.campus_account, name: r.name, staffNo: r.staff_no, asn: r.asn, bankId: r.bank_id, bankPan: r.bank_pan })
      : undefined;
    if (!account) throw oneCardUnavailable(`the ${name} query did not return one row of an account's columns`);
    return account;
  }

  async #query(name: QueryName, values: Record<string, unknown>): Promise<Row[]> {
    const pool = this.#pool;
    if (!pool) throw oneCardUnavailable('the one-card database link is not open');
    const { text, names } = this.#queries[name];
    try {
      return (await pool.query<Row>(text, names.map((n) => values[n]))).rows;
    } catch (err) {
      // The server's words may quote a value (a card number): masked as every log line is.
      throw oneCardUnavailable(`the one-card database: ${name} failed: ${maskCardNumbers((err as Error).message)}`, err);
    }
  }
}
