/**
 * The console's audit log: every operator action (and every sign-in, sign-out and refusal) with who, when, what,
 * on what, and the result, appended to the gateway's store in time order. Details pass through `redact` first, so
 * no password, PIN, key or code is ever written; a card number is masked by the log's own masking rule.
 */
import { toCsv } from '../../common/csv.ts';
import { EventEmitter } from 'node:events';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { maskCardNumbers } from '../../common/log.ts';

export interface AuditEntry {
  at: string;
  user: string;
  role: string;
  /** e.g. `kiosk.command`, `console.sign-in`, `reconcile.resolve`. */
  action: string;
  /** What it was done to: the route's parameters (a kiosk id, a txn id, a bank). */
  target: Record<string, string>;
  details: Record<string, unknown>;
  result: 'ok' | 'refused' | 'failed';
  /** The error code when not ok. */
  code?: string;
}

export interface AuditQuery {
  user?: string;
  action?: string;
  /** yyyy-mm-dd or ISO times, inclusive from, exclusive until. */
  from?: string;
  until?: string;
  limit?: number;
}

const PREFIX = 'console/audit/';
const SECRET_KEY = /pin|pass|secret|key|code|token|csrf/i;

/** A copy without values under keys named like secrets, and with card numbers masked. */
export function redact(details: unknown): Record<string, unknown> {
  if (typeof details !== 'object' || details === null) return {};
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(details)) {
    if (SECRET_KEY.test(k)) continue;
    out[k] = typeof v === 'string' ? maskCardNumbers(v) : typeof v === 'object' && v !== null && !Array.isArray(v) ? redact(v) : v;
  }
  return out;
}

export const AUDIT_COLUMNS = ['at', 'user', 'role', 'action', 'target', 'result', 'code', 'details'] as const;

export class AuditLog extends EventEmitter<{ entry: [AuditEntry] }> {
  #seq = 0;

  constructor(private readonly store: DurableStore, private readonly now: () => Date = () => new Date()) {
    super();
  }

  async append(entry: Omit<AuditEntry, 'at' | 'details'> & { details?: unknown }): Promise<AuditEntry> {
    const at = this.now().toISOString();
    const full: AuditEntry = { ...entry, at, details: redact(entry.details) };
    // The sequence number and pid keep two entries of one millisecond apart, in order.
    await this.store.put(`${PREFIX}${at}#${process.pid}.${String(this.#seq++).padStart(8, '0')}`, full);
    this.emit('entry', full);
    return full;
  }

  /** Newest first. */
  async query(q: AuditQuery = {}): Promise<AuditEntry[]> {
    const entries = (await this.store.list<AuditEntry>(PREFIX)).map((e) => e.value)
      .filter((e) => (!q.user || e.user === q.user) && (!q.action || e.action.startsWith(q.action)) &&
        (!q.from || e.at >= q.from) && (!q.until || e.at < q.until));
    return entries.reverse().slice(0, q.limit ?? entries.length);
  }
}

/** The entries as CSV (common/csv.ts), a header first. */
export function auditCsv(entries: AuditEntry[]): string {
  return toCsv(AUDIT_COLUMNS, entries);
}
