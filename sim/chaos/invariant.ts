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

/** The fee side of the money: what the cards, the gateway, the ledger and the billers hold of fees. */
export interface FeeView {
  debits: CardDebit[];
  /** The gateway's fee records (gw/fee). */
  fees: Array<{ id: string; state: string; amount: number; mac1: string; refundId?: string }>;
  /** The owed credits a fee's end created (gateway/credits/, source fee-refund), with the MAC2 they last issued. */
  refunds: Array<{ id: string; state: string; amount: number; mac2?: string }>;
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
  /** Every journal checked for records without a final state: the gateway's loads, each kiosk's loads and collects. */
  journals: Array<{ where: string; spec: MachineSpec<string>; records: JournalEntry[] }>;
  credits: CardCredit[];
  /** The campus ledger's postings (ledger/posting), one per load that reached the bank's approval or a reversal. */
  postings: Array<{ txnId: string; status: string; amount: number }>;
  /** Per card: balance now minus balance when the harness issued it (all cards summed; fees' debits lower it). */
  cardIncrease: number;
  /** Absent: no fee was paid in this view. */
  fees?: FeeView;
}

export interface Violation {
  /** Stable across runs, so one problem is reported once: the rule and the transaction. */
  key: string;
  rule: 'unfinished' | 'debit-unaccounted' | 'credited-twice' | 'credited-and-reversed' | 'credit-without-debit' | 'sums' | 'ledger' | 'stuck'
    | 'fee-unaccounted' | 'paid-and-refunded' | 'debited-twice' | 'debit-without-fee' | 'payment-without-debit' | 'fee-sums';
  txnId?: string;
  detail: string;
}

/**
 * A record is settled in a final state, or as a pending load: that is one of the three ends the invariant admits
 * (the money waits in the campus account), even though the gateway's machine can still take it to `completed` at
 * the card's next tap. A state the spec does not know counts as unfinished.
 */
const unfinished = (spec: MachineSpec<string>, state: string) => state !== 'pending-load' && (spec.transitions[state]?.length ?? 1) > 0;
/** The ledger transfer each settled fee state must have (null: none). */
const FEE_TRANSFER: Record<string, string | null> = { paid: 'final', 'refund-owed': 'undone', 'not-debited': null };
/** The posting each state of a refund (a campus credit) must have: pending until the card's TAC makes it final. */
const REFUND_POSTING: Record<string, string | null> = { owed: 'pending', 'mac2-issued': 'pending', completed: 'final' };

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

  const byStan = new Map(v.gateway.filter((r) => r.stan !== undefined).map((r) => [r.stan!, r]));
  const byMac2 = new Map(v.gateway.filter((r) => r.mac2).map((r) => [r.mac2!.toUpperCase(), r]));
  const refundByMac2 = new Map((v.fees?.refunds ?? []).filter((r) => r.mac2).map((r) => [r.mac2!.toUpperCase(), r]));
  const creditsOf = new Map<string, CardCredit[]>();
  const refundCredits = new Map<string, CardCredit[]>();
  for (const c of v.credits) {
    const refund = refundByMac2.get(c.mac2);
    if (refund) {
      add(refundCredits, refund.id, c);
      continue;
    }
    const r = byMac2.get(c.mac2);
    if (!r) {
      out.push({ key: `no-debit:${c.mac2}`, rule: 'credit-without-debit', detail: `card …${c.asn.slice(-4)} credited ${c.amount} fen with a MAC2 no gateway transaction holds` });
      continue;
    }
    add(creditsOf, r.id, c);
  }

  let debits = 0;
  let reversed = 0;
  let pending = 0;
  const debited = v.bank.filter((a) => a.status === 'debited' || a.status === 'reversed');
  const seen = new Set<string>();
  for (const a of debited) {
    debits += a.amount;
    const r = byStan.get(Number(a.stan));
    const credits = r ? creditsOf.get(r.id) ?? [] : [];
    if (r) seen.add(r.id);
    const id = r?.id ?? `stan ${a.stan}`;
    if (a.status === 'reversed') {
      reversed += a.amount;
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
  const fees = v.fees ? checkFees(v.fees, v.postings, refundCredits, heldOpen, out) : { debited: 0, refunded: 0 };
  // The cards' balance change, broken down: loads' credits (bank debits not pending or reversed) + refunds credited
  // back - purchase debits.
  const loadIncrease = v.cardIncrease + fees.debited - fees.refunded;
  if (loadIncrease + pending + reversed !== debits) {
    out.push({
      key: `sums:${v.cardIncrease}:${pending}:${reversed}:${debits}:${fees.debited}:${fees.refunded}`, rule: 'sums',
      detail: `card increases ${v.cardIncrease}${v.fees ? ` + purchase debits ${fees.debited} - refunds credited ${fees.refunded}` : ''} + pending loads ${pending} `
        + `+ reversed ${reversed} = ${loadIncrease + pending + reversed} fen, bank debits ${debits} fen`,
    });
  }
  return out;
}

/** The fee rules (see the top); returns the cards' purchase debits and refund credits for the overall sum. */
function checkFees(v: FeeView, postings: MoneyView['postings'], refundCredits: Map<string, CardCredit[]>, heldOpen: Set<string>, out: Violation[]): { debited: number; refunded: number } {
  const byMac1 = new Map(v.fees.map((f) => [f.mac1.toUpperCase(), f]));
  const paid = new Map(v.payments.filter((p) => p.status === 'paid').map((p) => [p.paymentId, p]));
  const refunds = new Map(v.refunds.map((r) => [r.id, r]));
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
  let refunded = 0;
  for (const [id, credits] of refundCredits) {
    refunded += credits.reduce((sum, c) => sum + c.amount, 0);
    if (credits.length > 1) out.push({ key: `twice:${id}`, rule: 'credited-twice', txnId: id, detail: `${id}: ${credits.length} card credits for one refund` });
  }
  if (debited !== billerPaid + owed + refunded + held) {
    out.push({
      key: `fee-sums:${debited}:${billerPaid}:${owed}:${refunded}:${held}`, rule: 'fee-sums',
      detail: `card purchase debits ${debited} fen, biller payments ${billerPaid} + refunds owed ${owed} + refunds credited ${refunded} + held undecided ${held} = ${billerPaid + owed + refunded + held} fen`,
    });
  }
  checkLedger(v.fees, v.transfers, FEE_TRANSFER, 'transfer', out);
  checkLedger(v.refunds, postings, REFUND_POSTING, 'posting', out);
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
