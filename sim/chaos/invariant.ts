/**
 * The money invariant of issue 3, checked across the bank simulator, the gateway's journal and ledger, the cards
 * and the kiosk journals once the system has settled:
 * - every bank debit ends as exactly one card credit, a pending load, or a confirmed reversal;
 * - no card is credited twice for one debit, and no card is credited for a debit that was reversed or never made;
 * - card balance increases + pending loads + reversed amounts = bank debits;
 * - no transaction is left without a final state, and the ledger's posting agrees with the gateway's end of it.
 * Card credits are seen at the card itself (the harness holds the cards): each successful CREDIT FOR LOAD with its
 * MAC2, which binds it to the one gateway transaction that issued that MAC2.
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
  /** Per card: balance now minus balance when the harness issued it. */
  cardIncrease: number;
}

export interface Violation {
  /** Stable across runs, so one problem is reported once: the rule and the transaction. */
  key: string;
  rule: 'unfinished' | 'debit-unaccounted' | 'credited-twice' | 'credited-and-reversed' | 'credit-without-debit' | 'sums' | 'ledger' | 'stuck';
  txnId?: string;
  detail: string;
}

/**
 * A record is settled in a final state, or as a pending load: that is one of the three ends the invariant admits
 * (the money waits in the campus account), even though the gateway's machine can still take it to `completed` at
 * the card's next tap. A state the spec does not know counts as unfinished.
 */
const unfinished = (spec: MachineSpec<string>, state: string) => state !== 'pending-load' && (spec.transitions[state]?.length ?? 1) > 0;

/** The ledger posting each settled gateway state must have (null: none); other states are not checked. */
const LEDGER_STATUS: Record<string, string | null> = {
  completed: 'final', 'pending-load': 'pending', reversed: 'reversed', declined: null, rejected: null,
};

export function checkInvariant(v: MoneyView): Violation[] {
  const out: Violation[] = [];
  for (const j of v.journals) {
    for (const r of j.records.filter((r) => unfinished(j.spec, r.state))) {
      out.push({ key: `unfinished:${j.where}:${r.id}`, rule: 'unfinished', txnId: r.id, detail: `${j.where} left ${r.id} in ${r.state}` });
    }
  }

  const byStan = new Map(v.gateway.filter((r) => r.stan !== undefined).map((r) => [r.stan!, r]));
  const byMac2 = new Map(v.gateway.filter((r) => r.mac2).map((r) => [r.mac2!.toUpperCase(), r]));
  const creditsOf = new Map<string, CardCredit[]>();
  for (const c of v.credits) {
    const r = byMac2.get(c.mac2);
    if (!r) {
      out.push({ key: `no-debit:${c.mac2}`, rule: 'credit-without-debit', detail: `card …${c.asn.slice(-4)} credited ${c.amount} fen with a MAC2 no gateway transaction holds` });
      continue;
    }
    creditsOf.set(r.id, [...(creditsOf.get(r.id) ?? []), c]);
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
  const postings = new Map(v.postings.map((p) => [p.txnId, p]));
  for (const r of v.gateway) {
    const expected = LEDGER_STATUS[r.state];
    if (expected === undefined) continue;
    const posting = postings.get(r.id);
    if ((posting?.status ?? null) !== expected || (posting && posting.amount !== r.amount)) {
      out.push({
        key: `ledger:${r.id}:${r.state}`, rule: 'ledger', txnId: r.id,
        detail: `${r.id} is ${r.state} at the gateway but the ledger holds ${posting ? `a ${posting.status} posting of ${posting.amount} fen` : 'no posting'}`,
      });
    }
  }
  if (v.cardIncrease + pending + reversed !== debits) {
    out.push({
      key: `sums:${v.cardIncrease}:${pending}:${reversed}:${debits}`, rule: 'sums',
      detail: `card increases ${v.cardIncrease} + pending loads ${pending} + reversed ${reversed} = ${v.cardIncrease + pending + reversed} fen, bank debits ${debits} fen`,
    });
  }
  return out;
}
