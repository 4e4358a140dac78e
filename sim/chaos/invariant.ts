/**
 * The money invariant of issue 3, checked across the bank simulator, the gateway's journal and ledger, the cards
 * and the kiosk journals once the system has settled:
 * - every bank debit ends as exactly one card credit, a pending load, or a confirmed reversal;
 * - no card is credited twice for one debit, and no card is credited for a debit that was reversed or never made;
 * - card balance increases + pending loads + reversed amounts = bank debits;
 * - no transaction is left without a final state, and the ledger's posting agrees with the gateway's end of it.
 * Card credits are seen at the card itself (the harness holds the cards): each successful CREDIT FOR LOAD with its
 * MAC2, which binds it to the one gateway transaction that issued that MAC2.
 *
 * Fees (缴费) likewise, across the cards, the gateway's fee and refund records, the ledger's transfers and the biller
 * simulator's payments (`fees` of the view):
 * - every card debit (each successful DEBIT FOR PURCHASE, bound by its MAC1 to the one fee that issued it) ends as
 *   exactly one biller payment or one refund (owed, or credited back to the card) — `fee-unaccounted`,
 *   `paid-and-refunded`, `debited-twice`, `debit-without-fee`;
 * - no biller payment without a card debit standing for it — `payment-without-debit`;
 * - card debits = biller payments + refunds owed + refunds credited back + debits held undecided — `fee-sums`;
 * - the ledger's transfer of each fee and refund agrees with its end — `ledger`.
 * A fee whose card did not come back to decide a torn debit ends `undecided` at the kiosk while the gateway holds it
 * at `mac1-issued` for the card's counter (an operator reads the card): that pair counts as settled, and a debit the
 * card did make for it counts as held, not lost. A refund `owed` counts as settled, as a pending load does.
 *
 * Owed credits the campus funds (gw/credit: fee refunds, subsidies, batch transfers' approvals), each matched to the
 * card credits by the MAC2 it last issued — `campusCredits` of the view:
 * - each is on a card at most once (`credited-twice`); one the gateway holds `completed` is on a card
 *   (`credit-unaccounted`), one it holds `expired` is not (`credited-and-expired`);
 * - subsidies: issued = on the cards + outstanding + expired (`subsidy-sums`), and the operator's subsidy report
 *   balances and says as much issued (`subsidy-report`).
 * Batch transfers (gw/transfer, `standing` of the view), against the bank's applied standing transfers (by STAN):
 * - the bank applied each transfer at most once (`transfer-sent-twice`, counted per transfer id, its field 63);
 * - each approved debit is the transfer's one owed credit, on the card or outstanding; a reversed one has none
 *   (`debit-unaccounted`, `credited-and-reversed`, `credit-without-debit`);
 * - and the overall `sums` count bank debits = load credits on cards + pending loads + transfers owed or on cards +
 *   confirmed reversals.
 */
import type { AppliedTransfer } from '../bank/bank-host.ts';
import type { MachineSpec } from '../../common/store/journaled-machine.ts';

export interface CardCredit {
  asn: string;
  /** The MAC2 of the CREDIT FOR LOAD command, hex upper case. */
  mac2: string;
  /** The card's balance increase from this credit, fen. */
  amount: number;
}

export interface JournalEntry {
  id: string;
  state: string;
  amount?: number;
  stan?: number;
  mac2?: string;
  bankId?: string;
}

/** A successful DEBIT FOR PURCHASE at the card. */
export interface CardDebit {
  asn: string;
  /** The MAC1 of the DEBIT FOR PURCHASE command, hex upper case: the gateway issued it for one fee. */
  mac1: string;
  /** The card's balance decrease, fen. */
  amount: number;
}

/** An owed credit the campus funds (gw/credit): a fee refund, a subsidy, a batch transfer's approval. */
export interface CampusCreditView {
  id: string;
  source: string;
  state: string;
  amount: number;
  /** The MAC2 it last issued, hex. */
  mac2?: string;
}

/** A batch transfer (gw/transfer): its STAN once it reached bank-pending. */
export interface StandingView {
  id: string;
  state: string;
  amount: number;
  stan?: number;
}

type Tally = { count: number; amount: number };
/** The operator's subsidy report (gateway/subsidies/subsidy-report.ts), its total. */
export interface SubsidyReportView {
  total: { issued: Tally; collected: Tally; outstanding: Tally; expired: Tally; balanced: boolean };
}

/** The fee side of the money: what the cards, the gateway, the ledger and the billers hold of fees. */
export interface FeeView {
  debits: CardDebit[];
  /** The gateway's fee records (gw/fee). */
  fees: Array<{ id: string; state: string; amount: number; mac1: string; refundId?: string }>;
  /** The biller simulator's payments, applied or refused, by payment id (the fee's id). */
  payments: Array<{ paymentId: string; amount: number; status: string }>;
  /** The kiosks' fee records (txn/fee): `undecided` marks a debit held open. */
  kioskFees: JournalEntry[];
  /** The ledger's transfers (ledger/transfer): a fee's purse -> biller, a refund's campus -> purse. */
  transfers: Array<{ txnId: string; status: string; amount: number }>;
}

export interface MoneyView {
  /** The bank simulator's applied transfers of the campus's bank terminal. */
  bank: AppliedTransfer[];
  /** The gateway's load records (gw/load): the bank exchange, the MAC2 and the end of every load. */
  gateway: JournalEntry[];
  /**
   * Every journal checked for records without a final state: the gateway's loads, fees, transfers and credits, each
   * kiosk's flows.
   */
  journals: Array<{ where: string; spec: MachineSpec<string>; records: JournalEntry[] }>;
  credits: CardCredit[];
  /** The campus ledger's postings (ledger/posting), one per load that reached the bank's approval or a reversal. */
  postings: Array<{ txnId: string; status: string; amount: number }>;
  /** Per card: balance now minus balance when the harness issued it (all cards summed; fees' debits lower it). */
  cardIncrease: number;
  /** Absent: no fee was paid in this view. */
  fees?: FeeView;
  /** The owed credits the campus funds (gw/credit), of every source. */
  campusCredits?: CampusCreditView[];
  /** The batch transfers (gw/transfer). */
  standing?: StandingView[];
  /** Present once a subsidy was issued. */
  subsidyReport?: SubsidyReportView;
}

export interface Violation {
  /** Stable across runs, so one problem is reported once: the rule and the transaction. */
  key: string;
  rule: 'unfinished' | 'debit-unaccounted' | 'credited-twice' | 'credited-and-reversed' | 'credit-without-debit' | 'sums' | 'ledger' | 'stuck'
    | 'fee-unaccounted' | 'paid-and-refunded' | 'debited-twice' | 'debit-without-fee' | 'payment-without-debit' | 'fee-sums'
    | 'credit-unaccounted' | 'credited-and-expired' | 'subsidy-sums' | 'subsidy-report' | 'transfer-sent-twice';
  txnId?: string;
  detail: string;
}

/**
 * A record is settled in a final state, or as a pending load: that is one of the three ends the invariant admits
 * (the money waits in the campus account), even though the gateway's machine can still take it to `completed` at
 * the card's next tap. A state the spec does not know counts as unfinished.
 */
const unfinished = (spec: MachineSpec<string>, state: string) => !SETTLED_OPEN.has(`${spec.name}:${state}`) && (spec.transitions[state]?.length ?? 1) > 0;
/**
 * Open states that are an end of their own: a pending load, and a campus-funded credit owed (with or without a MAC2
 * issued) — the money waits for the card's next tap.
 */
const SETTLED_OPEN = new Set(['gateway load:pending-load', 'credit:owed', 'credit:mac2-issued']);
/** The ledger transfer each settled fee state must have (null: none). */
const FEE_TRANSFER: Record<string, string | null> = { paid: 'final', 'refund-owed': 'undone', 'not-debited': null };
/** The posting each state of a campus-funded credit must have: pending until the card's TAC makes it final. */
const CREDIT_POSTING: Record<string, string | null> = { owed: 'pending', 'mac2-issued': 'pending', 'tac-failed': 'pending', completed: 'final', expired: 'expired' };
/** The posting each settled batch transfer must have (credit-owed: its credit's, checked as the credit). */
const TRANSFER_POSTING: Record<string, string | null> = { reversed: 'reversed', declined: null, 'not-sent': null };

/** The ledger posting each settled gateway state must have (null: none); other states are not checked. */
const LEDGER_STATUS: Record<string, string | null> = {
  completed: 'final', 'pending-load': 'pending', reversed: 'reversed', declined: null, rejected: null,
};

/** Appends `item` to the list kept under `key`. */
function add<T>(lists: Map<string, T[]>, key: string, item: T): void {
  lists.set(key, [...(lists.get(key) ?? []), item]);
}

export function checkInvariant(v: MoneyView): Violation[] {
  const out: Violation[] = [];
  // A fee the kiosk left undecided is held open at the gateway's mac1-issued for the card's counter.
  const heldOpen = new Set((v.fees?.kioskFees ?? []).filter((r) => r.state === 'undecided').map((r) => r.id));
  for (const j of v.journals) {
    for (const r of j.records.filter((r) => unfinished(j.spec, r.state) && !(r.state === 'mac1-issued' && heldOpen.has(r.id)))) {
      out.push({ key: `unfinished:${j.where}:${r.id}`, rule: 'unfinished', txnId: r.id, detail: `${j.where} left ${r.id} in ${r.state}` });
    }
  }

  const byMac2 = new Map(v.gateway.filter((r) => r.mac2).map((r) => [r.mac2!.toUpperCase(), r]));
  const campusCredits = v.campusCredits ?? [];
  const campusByMac2 = new Map(campusCredits.filter((r) => r.mac2).map((r) => [r.mac2!.toUpperCase(), r]));
  const creditsOf = new Map<string, CardCredit[]>();
  /** The card credits of each campus-funded credit, by its id. */
  const campusOnCards = new Map<string, CardCredit[]>();
  for (const c of v.credits) {
    const campus = campusByMac2.get(c.mac2);
    if (campus) {
      add(campusOnCards, campus.id, c);
      continue;
    }
    const r = byMac2.get(c.mac2);
    if (!r) {
      out.push({ key: `no-debit:${c.mac2}`, rule: 'credit-without-debit', detail: `card …${c.asn.slice(-4)} credited ${c.amount} fen with a MAC2 no gateway transaction holds` });
      continue;
    }
    add(creditsOf, r.id, c);
  }
  const onCards = (id: string) => (campusOnCards.get(id) ?? []).reduce((sum, c) => sum + c.amount, 0);

  // The bank's debits: a load's (matched by STAN to gw/load) or a batch transfer's (to gw/transfer).
  const byStan = new Map(v.gateway.filter((r) => r.stan !== undefined).map((r) => [r.stan!, r]));
  const standingByStan = new Map((v.standing ?? []).filter((r) => r.stan !== undefined).map((r) => [r.stan!, r]));
  let debits = 0;
  let reversed = 0;
  let pending = 0;
  const debited = v.bank.filter((a) => a.status === 'debited' || a.status === 'reversed');
  const seen = new Set<string>();
  const standingDebits: Array<{ applied: (typeof debited)[number]; transfer: StandingView }> = [];
  for (const a of debited) {
    debits += a.amount;
    if (a.status === 'reversed') reversed += a.amount;
    const transfer = standingByStan.get(Number(a.stan));
    if (transfer) {
      standingDebits.push({ applied: a, transfer });
      continue;
    }
    const r = byStan.get(Number(a.stan));
    const credits = r ? creditsOf.get(r.id) ?? [] : [];
    if (r) seen.add(r.id);
    const id = r?.id ?? `stan ${a.stan}`;
    if (a.status === 'reversed') {
      if (credits.length) out.push({ key: `credited-reversed:${id}`, rule: 'credited-and-reversed', txnId: id, detail: `${id}: the card was credited ${a.amount} fen and the bank debit reversed` });
      continue;
    }
    if (credits.length > 1) out.push({ key: `twice:${id}`, rule: 'credited-twice', txnId: id, detail: `${id}: ${credits.length} card credits for one bank debit of ${a.amount} fen` });
    if (credits.length === 0) {
      if (r?.state === 'pending-load') pending += a.amount;
      else out.push({ key: `unaccounted:${id}`, rule: 'debit-unaccounted', txnId: id, detail: `${id}: bank debit of ${a.amount} fen with no card credit, pending load or reversal (gateway state ${r?.state ?? 'none'})` });
    }
  }
  for (const [id, credits] of creditsOf) {
    if (!seen.has(id)) out.push({ key: `no-debit:${id}`, rule: 'credit-without-debit', txnId: id, detail: `${id}: card credited ${credits.length}× with no bank debit standing for it` });
  }
  checkLedger(v.gateway, v.postings, LEDGER_STATUS, 'posting', out);
  const credits = checkCampusCredits(campusCredits, campusOnCards, v.postings, out);
  const transfersOwed = checkStanding(v.standing ?? [], standingDebits, campusCredits, onCards, v.postings, out);
  if (v.subsidyReport) checkSubsidyReport(v.subsidyReport, credits.subsidiesIssued, out);
  const refunds = campusCredits.filter((c) => c.source === 'fee-refund');
  const fees = v.fees ? checkFees(v.fees, refunds, campusOnCards, heldOpen, out) : { debited: 0, refunded: 0 };
  // The cards' balance change, broken down: loads' and transfers' credits + refunds and subsidies credited - purchase
  // debits. The bank's debits: loads' credits + pending loads + transfers on the cards or owed + reversals.
  const bankIncrease = v.cardIncrease + fees.debited - fees.refunded - credits.subsidiesOnCards;
  if (bankIncrease + pending + transfersOwed + reversed !== debits) {
    out.push({
      key: `sums:${v.cardIncrease}:${pending}:${reversed}:${debits}:${fees.debited}:${fees.refunded}:${credits.subsidiesOnCards}:${transfersOwed}`, rule: 'sums',
      detail: `card increases ${v.cardIncrease}${v.fees ? ` + purchase debits ${fees.debited} - refunds credited ${fees.refunded}` : ''}`
        + `${credits.subsidiesIssued ? ` - subsidies credited ${credits.subsidiesOnCards}` : ''} + pending loads ${pending}`
        + `${v.standing?.length ? ` + transfers owed ${transfersOwed}` : ''} + reversed ${reversed} = ${bankIncrease + pending + transfersOwed + reversed} fen, bank debits ${debits} fen`,
    });
  }
  return out;
}

/** The rules every campus-funded credit keeps, whatever its source; the subsidies' sums. */
function checkCampusCredits(
  credits: CampusCreditView[], onCards: Map<string, CardCredit[]>, postings: MoneyView['postings'], out: Violation[],
): { subsidiesIssued: number; subsidiesOnCards: number } {
  let issued = 0;
  let onCard = 0;
  let outstanding = 0;
  let expired = 0;
  for (const c of credits) {
    const cards = onCards.get(c.id) ?? [];
    if (cards.length > 1) out.push({ key: `twice:${c.id}`, rule: 'credited-twice', txnId: c.id, detail: `${c.id}: ${cards.length} card credits for one ${c.source} credit of ${c.amount} fen` });
    if (c.state === 'completed' && cards.length === 0) {
      out.push({ key: `credit-unaccounted:${c.id}`, rule: 'credit-unaccounted', txnId: c.id, detail: `${c.id}: the gateway holds the ${c.source} credit of ${c.amount} fen completed, no card shows it` });
    }
    if (c.state === 'expired' && cards.length > 0) {
      out.push({ key: `credited-expired:${c.id}`, rule: 'credited-and-expired', txnId: c.id, detail: `${c.id}: the ${c.source} credit of ${c.amount} fen is on the card and expired back to the campus` });
    }
    if (c.source !== 'subsidy') continue;
    issued += c.amount;
    const credited = cards.reduce((sum, x) => sum + x.amount, 0);
    onCard += credited;
    // Outstanding until a card holds it, whatever its record says (a torn credit the card applied is on the card).
    if (credited === 0 && c.state === 'expired') expired += c.amount;
    else if (credited === 0 && c.state !== 'completed') outstanding += c.amount;
  }
  if (issued !== onCard + outstanding + expired) {
    out.push({
      key: `subsidy-sums:${issued}:${onCard}:${outstanding}:${expired}`, rule: 'subsidy-sums',
      detail: `subsidies issued ${issued} fen, on the cards ${onCard} + outstanding ${outstanding} + expired ${expired} = ${onCard + outstanding + expired} fen`,
    });
  }
  checkLedger(credits, postings, CREDIT_POSTING, 'posting', out);
  return { subsidiesIssued: issued, subsidiesOnCards: onCard };
}

/** The report an operator reads balances (issued = collected + outstanding + expired) and has every subsidy issued. */
function checkSubsidyReport(report: SubsidyReportView, issued: number, out: Violation[]): void {
  const t = report.total;
  if (!t.balanced || t.issued.amount !== issued) {
    out.push({
      key: `subsidy-report:${t.issued.amount}:${t.collected.amount}:${t.outstanding.amount}:${t.expired.amount}:${t.balanced}:${issued}`, rule: 'subsidy-report',
      detail: `the subsidy report says issued ${t.issued.amount} fen = collected ${t.collected.amount} + outstanding ${t.outstanding.amount} + expired ${t.expired.amount} `
        + `(${t.balanced ? 'balanced' : 'not balanced'}); the gateway owes subsidies of ${issued} fen`,
    });
  }
}

/** The batch transfers against the bank's applied standing transfers; returns what the approved ones still owe the cards. */
function checkStanding(
  transfers: StandingView[], debits: Array<{ applied: MoneyView['bank'][number]; transfer: StandingView }>, credits: CampusCreditView[],
  onCards: (id: string) => number, postings: MoneyView['postings'], out: Violation[],
): number {
  const creditOf = new Map(credits.filter((c) => c.source === 'transfer').map((c) => [c.id, c]));
  const sent = new Map<string, number>();
  for (const { applied } of debits) if (applied.campusRef) sent.set(applied.campusRef, (sent.get(applied.campusRef) ?? 0) + 1);
  for (const [id, times] of sent) {
    if (times > 1) out.push({ key: `sent-twice:${id}`, rule: 'transfer-sent-twice', txnId: id, detail: `${id}: the bank applied the standing transfer ${times}×` });
  }
  let owed = 0;
  const debited = new Set<string>();
  for (const { applied, transfer } of debits) {
    const credit = creditOf.get(transfer.id);
    const credited = onCards(transfer.id);
    if (applied.status === 'reversed') {
      if (credit) {
        out.push({ key: `credited-reversed:${transfer.id}`, rule: 'credited-and-reversed', txnId: transfer.id, detail: `${transfer.id}: the bank debit of ${applied.amount} fen was reversed and the card is owed it (${credit.state}${credited ? ', on the card' : ''})` });
      }
      continue;
    }
    debited.add(transfer.id);
    if (!credit || credit.amount !== applied.amount) {
      out.push({ key: `unaccounted:${transfer.id}`, rule: 'debit-unaccounted', txnId: transfer.id, detail: `${transfer.id}: bank debit of ${applied.amount} fen with no credit owed for it (transfer ${transfer.state}${credit ? `, credit of ${credit.amount} fen` : ''})` });
      continue;
    }
    // On the card (counted in the cards' increase), or owed for the card's next tap.
    if (credited === 0) owed += applied.amount;
  }
  for (const c of creditOf.values()) {
    if (!debited.has(c.id)) out.push({ key: `no-debit:${c.id}`, rule: 'credit-without-debit', txnId: c.id, detail: `${c.id}: a transfer credit of ${c.amount} fen (${c.state}) with no bank debit standing for it` });
  }
  checkLedger(transfers, postings, TRANSFER_POSTING, 'posting', out);
  return owed;
}

/** The fee rules (see the top); returns the cards' purchase debits and refund credits for the overall sum. */
function checkFees(
  v: FeeView, refundList: CampusCreditView[], refundCredits: Map<string, CardCredit[]>, heldOpen: Set<string>, out: Violation[],
): { debited: number; refunded: number } {
  const byMac1 = new Map(v.fees.map((f) => [f.mac1.toUpperCase(), f]));
  const paid = new Map(v.payments.filter((p) => p.status === 'paid').map((p) => [p.paymentId, p]));
  const refunds = new Map(refundList.map((r) => [r.id, r]));
  const debitsOf = new Map<string, CardDebit[]>();
  let debited = 0;
  for (const d of v.debits) {
    debited += d.amount;
    const f = byMac1.get(d.mac1);
    if (f) add(debitsOf, f.id, d);
    else out.push({ key: `no-fee:${d.mac1}`, rule: 'debit-without-fee', detail: `card …${d.asn.slice(-4)} debited ${d.amount} fen with a MAC1 no gateway fee holds` });
  }
  let billerPaid = 0;
  let owed = 0;
  let held = 0;
  for (const f of v.fees) {
    const debits = debitsOf.get(f.id) ?? [];
    const payment = paid.get(f.id);
    const refund = f.refundId ? refunds.get(f.refundId) : undefined;
    if (debits.length > 1) out.push({ key: `debited-twice:${f.id}`, rule: 'debited-twice', txnId: f.id, detail: `${f.id}: the card was debited ${debits.length}× for one fee` });
    if (payment) billerPaid += payment.amount;
    // Owed until the card holds it: a refund whose credit the card shows counts there, whatever its record says.
    if (refund && refund.state !== 'completed' && !refundCredits.has(refund.id)) owed += refund.amount;
    if (debits.length === 0) {
      if (payment) out.push({ key: `payment-no-debit:${f.id}`, rule: 'payment-without-debit', txnId: f.id, detail: `${f.id}: the biller was paid ${payment.amount} fen and no card was debited for it` });
      if (refund) out.push({ key: `refund-no-debit:${f.id}`, rule: 'fee-unaccounted', txnId: f.id, detail: `${f.id}: a refund of ${refund.amount} fen is owed for a fee no card paid` });
      continue;
    }
    if (payment && refund) {
      out.push({ key: `paid-refunded:${f.id}`, rule: 'paid-and-refunded', txnId: f.id, detail: `${f.id}: the biller was paid ${payment.amount} fen and the amount refunded too (${refund.state})` });
    } else if (!payment && !refund) {
      if (f.state === 'mac1-issued' && heldOpen.has(f.id)) held += debits[0]!.amount;
      else out.push({ key: `fee-unaccounted:${f.id}`, rule: 'fee-unaccounted', txnId: f.id, detail: `${f.id}: card debited ${debits[0]!.amount} fen, no biller payment or refund (gateway state ${f.state})` });
    }
  }
  const feeIds = new Set(v.fees.map((f) => f.id));
  for (const p of paid.values()) {
    if (!feeIds.has(p.paymentId)) out.push({ key: `payment-no-debit:${p.paymentId}`, rule: 'payment-without-debit', txnId: p.paymentId, detail: `${p.paymentId}: a biller payment of ${p.amount} fen no gateway fee made` });
  }
  // Twice-credited refunds are named with every campus-funded credit.
  let refunded = 0;
  for (const r of refundList) refunded += (refundCredits.get(r.id) ?? []).reduce((sum, c) => sum + c.amount, 0);
  if (debited !== billerPaid + owed + refunded + held) {
    out.push({
      key: `fee-sums:${debited}:${billerPaid}:${owed}:${refunded}:${held}`, rule: 'fee-sums',
      detail: `card purchase debits ${debited} fen, biller payments ${billerPaid} + refunds owed ${owed} + refunds credited ${refunded} + held undecided ${held} = ${billerPaid + owed + refunded + held} fen`,
    });
  }
  checkLedger(v.fees, v.transfers, FEE_TRANSFER, 'transfer', out);
  return { debited, refunded };
}

/** Each gateway record in a state `expected` names has the ledger entry of that status and amount (null: none). */
function checkLedger(
  records: Array<{ id: string; state: string; amount?: number }>, entries: Array<{ txnId: string; status: string; amount: number }>,
  expected: Record<string, string | null>, noun: 'posting' | 'transfer', out: Violation[],
): void {
  const byTxn = new Map(entries.map((e) => [e.txnId, e]));
  for (const r of records) {
    const status = expected[r.state];
    if (status === undefined) continue;
    const entry = byTxn.get(r.id);
    if ((entry?.status ?? null) !== status || (entry && entry.amount !== r.amount)) {
      out.push({
        key: `ledger:${r.id}:${r.state}`, rule: 'ledger', txnId: r.id,
        detail: `${r.id} is ${r.state} at the gateway but the ledger holds ${entry ? `a ${entry.status} ${noun} of ${entry.amount} fen` : `no ${noun}`}`,
      });
    }
  }
}
