/**
 * The gateway's fees (缴费) for the operator console: a search like the loads' (transaction-search.ts: id part, card,
 * kiosk, campus day, plus biller and fee state), one fee's story — the gateway's states, what the kiosks reported,
 * the transfer purse -> biller as it stands, the biller's tries and answer, and the refund owed when the biller was
 * not paid — and the billers with how they answered lately. Cards masked (first 6, last 4). Read by scanning, as the
 * loads are: no index on the money path.
 */
import { z } from 'zod';
import { campusTime } from '../../common/campus-time.ts';
import { maskPan } from '../../common/log.ts';
import { isFinal } from '../../common/store/journaled-machine.ts';
import type { CampusCredits, CampusCreditState } from '../credits/campus-credits.ts';
import type { TxnReport } from '../events/txn-reports.ts';
import type { CampusLedger, Posting, Transfer } from '../ledger/campus-ledger.ts';
import { cardMatches, pageOf, parseQuery, SEARCH_FIELDS, type Page } from '../loads/transaction-search.ts';
import { kioskReports, type StorySource } from '../loads/transaction-story.ts';
import { GATEWAY_FEE_MACHINE, type GatewayFeeRecord, type GatewayFeeState } from './fee-machine.ts';
import type { FeeService } from './fee-service.ts';

export interface FeeSummary {
  txnId: string;
  kioskId: string;
  billerId: string;
  /** The room or account at the biller. */
  account: string;
  state: GatewayFeeState;
  final: boolean;
  /** Fen. */
  amount: number;
  /** The card's ASN, masked; empty for a fee abandoned before fee.begin reached the gateway. */
  card: string;
  code?: string;
  receiptNo?: string;
  refundId?: string;
  payTries?: number;
  createdAt: string;
  updatedAt: string;
  /** The campus date the fee's MAC1 was issued (yyyy-mm-dd). */
  businessDay: string;
}

export interface FeeStory {
  summary: FeeSummary;
  gateway: { history: GatewayFeeRecord['history'] };
  /** The kiosk's report of the fee, and of the refund's collect at whichever kiosk wrote it. */
  kiosk: TxnReport[];
  /** purse -> biller: held once the card's proof verified, final once paid, undone by the refund. */
  transfer: Transfer | null;
  biller: { id: string; account: string; tries: number; at: string[]; receiptNo?: string; code?: string };
  /** The credit that brings the amount back when the biller was not paid, with its posting. */
  refund: { id: string; state: CampusCreditState; amount: number; collector?: string; inDoubt: boolean; posting: Posting | null } | null;
}

const STATES = Object.keys(GATEWAY_FEE_MACHINE.transitions) as [GatewayFeeState, ...GatewayFeeState[]];

const querySchema = z.strictObject({
  ...SEARCH_FIELDS,
  biller: z.string().max(64).optional(),
  state: z.enum(STATES).optional(),
});

export type FeeQuery = z.infer<typeof querySchema>;

export interface FeeStoriesOptions {
  fees: FeeService;
  credits: CampusCredits;
  ledger: CampusLedger;
  reports: StorySource['reports'];
  timeZone: string;
}

export function summarizeFee(r: GatewayFeeRecord, timeZone: string): FeeSummary {
  const createdAt = r.history[0]?.at ?? r.updatedAt;
  return {
    txnId: r.id, kioskId: r.kioskId, billerId: r.billerId, account: r.account, state: r.state, final: isFinal(GATEWAY_FEE_MACHINE, r.state),
    amount: r.amount, card: maskPan(r.asn),
    ...(r.code ? { code: r.code } : {}), ...(r.receiptNo ? { receiptNo: r.receiptNo } : {}), ...(r.refundId ? { refundId: r.refundId } : {}),
    ...(r.payTries ? { payTries: r.payTries } : {}),
    createdAt, updatedAt: r.updatedAt, businessDay: campusTime(new Date(createdAt), timeZone).date,
  };
}

export class FeeStories {
  constructor(private readonly o: FeeStoriesOptions) {}

  /** `query` as a form or query string gives it; QUERY_INVALID when it is not valid. Newest first. */
  async search(query: Record<string, unknown>): Promise<Page<FeeSummary>> {
    const q = parseQuery(querySchema, query, 'fee search');
    const idPart = q.txnId?.toUpperCase();
    const matching: FeeSummary[] = [];
    for (const r of await this.o.fees.fees.all()) {
      if (idPart !== undefined && !r.id.toUpperCase().includes(idPart)) continue;
      if (q.kiosk !== undefined && r.kioskId !== q.kiosk) continue;
      if (q.biller !== undefined && r.billerId !== q.biller) continue;
      if (q.state !== undefined && r.state !== q.state) continue;
      if (q.card !== undefined && !cardMatches(q.card, [r.asn])) continue;
      const summary = summarizeFee(r, this.o.timeZone);
      if (q.date === undefined || summary.businessDay === q.date) matching.push(summary);
    }
    return pageOf(matching, q);
  }

  /** TXN_UNKNOWN when the gateway has no such fee. */
  async story(txnId: string): Promise<FeeStory> {
    const r = await this.o.fees.fees.require(txnId);
    const refund = r.refundId ? await this.o.credits.credits.get(r.refundId) : undefined;
    const tries = r.history.filter((h) => h.state === 'paying');
    return {
      summary: summarizeFee(r, this.o.timeZone),
      gateway: { history: r.history },
      kiosk: await kioskReports(this.o.reports, { kioskId: r.kioskId, txnId: r.id },
        refund ? { pendingId: refund.id, kioskIds: [r.kioskId, refund.collector ?? r.kioskId] } : undefined),
      transfer: (await this.o.ledger.transfer(r.id)) ?? null,
      biller: {
        id: r.billerId, account: r.account, tries: tries.length, at: tries.map((h) => h.at),
        ...(r.receiptNo ? { receiptNo: r.receiptNo } : {}), ...(r.code ? { code: r.code } : {}),
      },
      refund: refund
        ? {
          id: refund.id, state: refund.state, amount: refund.amount, ...(refund.collector ? { collector: refund.collector } : {}),
          inDoubt: refund.state === 'mac2-issued', posting: (await this.o.ledger.posting(refund.id)) ?? null,
        }
        : null,
    };
  }

  summarize(r: GatewayFeeRecord): FeeSummary {
    return summarizeFee(r, this.o.timeZone);
  }

  billers(): ReturnType<FeeService['billers']> {
    return this.o.fees.billers();
  }
}
