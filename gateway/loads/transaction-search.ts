/**
 * Searching the gateway's loads for an operator: by transaction id (any part of it), card (the last digits of the
 * card's ASN or of the bound bank account, or a masked number such as 621700******0018), STAN, kiosk (the one that
 * started the load or the one that collected it), campus business day and state; newest first, a page at a time.
 * A load is shown as a summary with its card and bank account masked (first 6 and last 4).
 *
 * It reads every load record (the journal is keyed by transaction id only): fine for the months a campus keeps,
 * and no index to write on the money path.
 */
import { z } from 'zod';
import { QuancunError } from '../../common/errors.ts';
import { maskPan } from '../../common/log.ts';
import { isFinal } from '../../common/store/journaled-machine.ts';
import type { CampusAccount } from '../onecard/one-card-system.ts';
import { businessDay, GATEWAY_LOAD_MACHINE, type GatewayLoadRecord, type GatewayLoadState } from './gateway-load-machine.ts';

export interface TxnSummary {
  txnId: string;
  kioskId: string;
  collector?: string;
  state: GatewayLoadState;
  final: boolean;
  /** Fen. */
  amount: number;
  /** The card's ASN, masked. */
  card: string;
  bankId?: string;
  /** The bound bank account, masked. */
  bankAccount?: string;
  stan?: number;
  bankRef?: string;
  code?: string;
  createdAt: string;
  updatedAt: string;
  /** Its campus business day, yyyy-mm-dd (gateway-load-machine.ts `businessDay`, as reconciliation has it). */
  businessDay: string;
}

const STATES = Object.keys(GATEWAY_LOAD_MACHINE.transitions) as [GatewayLoadState, ...GatewayLoadState[]];
/** Optional head of 6 digits, a run of mask characters, then the tail of 4 or more digits the number ends with. */
const CARD = /^(?:([0-9A-Fa-f]{6})[*xX•.…]+)?([0-9A-Fa-f]{4,})$/;

/** The fields every console search has (the loads', the fees'): id part, card, kiosk, business day, the page. */
export const SEARCH_FIELDS = {
  txnId: z.string().max(64).optional(),
  card: z.string().regex(CARD, 'the last 4 or more digits, or a masked number such as 621700******0018').optional(),
  kiosk: z.string().max(64).optional(),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'yyyy-mm-dd').optional(),
  offset: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(200).default(50),
};

const querySchema = z.strictObject({
  ...SEARCH_FIELDS,
  stan: z.string().regex(/^\d{1,6}$/, 'up to 6 digits').optional(),
  state: z.enum(STATES).optional(),
});

export type TxnQuery = z.infer<typeof querySchema>;

/** One page of a search's results, newest first. */
export interface Page<T> {
  total: number;
  offset: number;
  limit: number;
  items: T[];
}

export type TxnPage = Page<TxnSummary>;

/** A query from a form or a URL's query string; empty fields count as absent. Bad ones are QUERY_INVALID, `what` named. */
export function parseQuery<S extends z.ZodType>(schema: S, input: Record<string, unknown>, what: string): z.infer<S> {
  const given = Object.fromEntries(Object.entries(input).map(([k, v]) => [k, typeof v === 'string' ? v.trim() : v]).filter(([, v]) => v !== '' && v !== undefined));
  const parsed = schema.safeParse(given);
  if (parsed.success) return parsed.data;
  const problems = parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`);
  throw new QuancunError('QUERY_INVALID', `${what}: ${problems.join('; ')}`, { problems });
}

export const parseTxnQuery = (input: Record<string, unknown>): TxnQuery => parseQuery(querySchema, input, 'transaction search');

/** Newest first, then the page asked for. */
export function pageOf<T extends { createdAt: string; txnId: string }>(matching: T[], query: { offset: number; limit: number }): Page<T> {
  matching.sort((a, b) => b.createdAt.localeCompare(a.createdAt) || b.txnId.localeCompare(a.txnId));
  return { total: matching.length, offset: query.offset, limit: query.limit, items: matching.slice(query.offset, query.offset + query.limit) };
}

export function summarize(record: GatewayLoadRecord, account: CampusAccount | undefined, timeZone: string): TxnSummary {
  const createdAt = record.history[0]?.at ?? record.updatedAt;
  return {
    txnId: record.id, kioskId: record.kioskId, ...(record.collector ? { collector: record.collector } : {}),
    state: record.state, final: isFinal(GATEWAY_LOAD_MACHINE, record.state), amount: record.amount, card: maskPan(record.asn),
    ...(record.bankId ? { bankId: record.bankId } : {}), ...(account?.bankPan ? { bankAccount: maskPan(account.bankPan) } : {}),
    ...(record.stan !== undefined ? { stan: record.stan } : {}), ...(record.bankRef ? { bankRef: record.bankRef } : {}),
    ...(record.code ? { code: record.code } : {}),
    createdAt, updatedAt: record.updatedAt, businessDay: businessDay(record, timeZone),
  };
}

/** Whether a card query (CARD) matches one of these numbers: its tail, and its head when given. */
export function cardMatches(query: string, numbers: Array<string | undefined>): boolean {
  const [, head, tail] = CARD.exec(query)!;
  return numbers.some((n) => n !== undefined && n.toUpperCase().endsWith(tail!.toUpperCase()) && (!head || n.toUpperCase().startsWith(head.toUpperCase())));
}

export interface SearchSource {
  loads: { all(): Promise<GatewayLoadRecord[]> };
  /** The campus account holding a card, undefined when none does. */
  account(asn: string): Promise<CampusAccount | undefined>;
  timeZone: string;
}

export async function searchLoads(source: SearchSource, query: TxnQuery): Promise<TxnPage> {
  const accounts = new Map<string, Promise<CampusAccount | undefined>>();
  const accountOf = (asn: string) => {
    let a = accounts.get(asn);
    if (!a) accounts.set(asn, (a = source.account(asn)));
    return a;
  };
  const idPart = query.txnId?.toUpperCase();
  const matching: TxnSummary[] = [];
  for (const record of await source.loads.all()) {
    if (idPart !== undefined && !record.id.toUpperCase().includes(idPart)) continue;
    if (query.kiosk !== undefined && record.kioskId !== query.kiosk && record.collector !== query.kiosk) continue;
    if (query.stan !== undefined && record.stan !== Number(query.stan)) continue;
    if (query.state !== undefined && record.state !== query.state) continue;
    const account = await accountOf(record.asn);
    if (query.card !== undefined && !cardMatches(query.card, [record.asn, account?.bankPan])) continue;
    const summary = summarize(record, account, source.timeZone);
    if (query.date === undefined || summary.businessDay === query.date) matching.push(summary);
  }
  return pageOf(matching, query);
}
