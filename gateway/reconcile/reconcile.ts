/**
 * Three-way reconciliation (对账) of one bank's business day: the bank's daily file against the gateway's load
 * journal and the campus ledger, with what the kiosks journaled or reported where it is available. Matching goes both ways, by
 * STAN: every bank line must have a campus record and every campus load of the day that the bank should hold must
 * have a bank line, which is what one-way comparison (bank -> campus) misses.
 *
 * Every difference gets a class. A few have a safe automatic resolution:
 * - reversal-unconfirmed: send the reversal again (the bank applies a reversal once, however often it comes);
 * - card-credited-without-final-posting: post finally with the TAC the kiosk journaled (the key store verifies it);
 * - pending-load: park the load as 圈存未领 when the kiosk journal proves the credit never went to the card, or
 *   confirm a parked one against the bank's debit.
 * Standing transfers of the batch transfer mode (gateway/transfers/) are matched beside the loads, by the same STANs
 * (one counter per terminal): an approved one the bank debited agrees; one it owes a reversal for is left to its own
 * queue and reported until the bank's file stops showing the debit.
 * The rest are listed for an operator. What was resolved is journaled per day and STAN, so running the same day
 * again resolves nothing twice and reports the same differences.
 */
import { QuancunError } from '../../common/errors.ts';
import { businessDay, sentAt, type BankDebitRecord, type GatewayLoadRecord } from '../loads/gateway-load-machine.ts';
import type { Posting } from '../ledger/campus-ledger.ts';
import type { TransferRecord } from '../transfers/transfer-machine.ts';
import type { BankFileRecord } from './bank-file.ts';

export const DIFFERENCE_CLASSES = [
  'bank-only', 'campus-only', 'amount-mismatch', 'pending-load', 'reversal-unconfirmed', 'card-credited-without-final-posting',
] as const;
export type DifferenceClass = (typeof DIFFERENCE_CLASSES)[number];

/**
 * What a kiosk says of a load (runtime/flows/load/load-machine.ts), from its journal or the outcome it reported
 * through its outbox: the state, and the card's TAC once credited (it covers the new balance the gateway expects).
 */
export interface KioskLoadView {
  id: string;
  kioskId: string;
  state: string;
  tac?: string;
}

export interface Difference {
  class: DifferenceClass;
  stan: number;
  txnId: string | null;
  /** Fen, as the campus and the bank have it. */
  campusAmount: number | null;
  bankAmount: number | null;
  bankRef: string | null;
  gatewayState: string | null;
  kioskState: string | null;
  posting: string | null;
  status: 'resolved' | 'open';
  /** What was done, or what an operator has to do. */
  action: string;
  /** A person's resolution (gateway/reconcile/manual-resolution.ts): who, and their note. */
  resolvedBy?: string;
  note?: string;
}

/** The automatic resolutions, each one journaled and idempotent on the gateway side. */
export interface Resolver {
  /**
   * Sends the reversal again: `reversed` once the bank confirmed it undid the debit, `not-found` once it answered it
   * never had the transfer (25), null while it has not answered.
   */
  reverse(load: GatewayLoadRecord): Promise<'reversed' | 'not-found' | null>;
  /** Final posting with the kiosk's TAC; false when the TAC does not verify. */
  confirm(load: GatewayLoadRecord, kiosk: KioskLoadView): Promise<boolean>;
  /** 圈存未领: the amount waits in the campus account for the card's next tap. */
  park(load: GatewayLoadRecord): Promise<void>;
}

/** One resolution journaled for the day, keyed by STAN: automatic, or a person's (with `by` and `note`). */
export interface PriorResolution {
  stan: number;
  class: DifferenceClass;
  action: string;
  at: string;
  by?: string;
  note?: string;
}

export interface ReconcileInput {
  bankRecords: BankFileRecord[];
  /** Every load of this bank in the gateway journal (matching is by STAN, so a load sent just before midnight is found). */
  loads: GatewayLoadRecord[];
  /** The business day yyyy-mm-dd: which campus loads the bank's file must hold. */
  date: string;
  /** The campus's IANA time zone, whose calendar the business day is on. */
  timeZone: string;
  postings: Map<string, Posting>;
  /** Every standing transfer to this bank in the gateway journal. */
  transfers?: TransferRecord[];
  /** null: no kiosk journal or report was available, so nothing that needs one is resolved. */
  kioskLoads: Map<string, KioskLoadView> | null;
  prior: Map<number, PriorResolution>;
  /**
   * When the bank's file was written: a campus load sent after it cannot be in it (a day reconciled while loads go
   * on), so it is left to a later run instead of being reported campus-only.
   */
  fileWrittenAt?: Date;
}

/** A campus load whose debit stands as far as the gateway knows: approved and not reversed or being reversed. */
const DEBIT_STANDS = (l: GatewayLoadRecord) => l.bankRef !== undefined && l.state !== 'reversing' && l.state !== 'reversed';
/** The kiosk never sent the credit: these states all come before `crediting`. */
const CREDIT_NEVER_SENT = new Set(['created', 'authorizing', 'authorized', 'declined', 'abandoning', 'abandoned']);
const CARD_CREDITED = new Set(['credited', 'completed']);

/** A campus load the bank's file of the day must hold: sent that day, before the file was written. */
export function expectedInFile(load: BankDebitRecord, input: Pick<ReconcileInput, 'date' | 'timeZone' | 'fileWrittenAt'>): boolean {
  if (load.stan === undefined || businessDay(load, input.timeZone) !== input.date) return false;
  return !input.fileWrittenAt || sentAt(load) < input.fileWrittenAt.toISOString();
}

/** The bank's view of one STAN: its debit stands when transferred and not reversed. */
interface BankView {
  debit: BankFileRecord | undefined;
  reversed: boolean;
}

interface Pair {
  stan: number;
  bank: BankView | undefined;
  load: GatewayLoadRecord | undefined;
  transfer?: TransferRecord | undefined;
}

/** The latest record of each STAN (STANs wrap after 999999). */
function byStan<R extends BankDebitRecord>(records: R[]): Map<number, R> {
  const out = new Map<number, R>();
  for (const r of records) {
    if (r.stan === undefined) continue;
    const seen = out.get(r.stan);
    if (!seen || sentAt(seen) < sentAt(r)) out.set(r.stan, r);
  }
  return out;
}

function pairs(input: ReconcileInput): Pair[] {
  const bank = new Map<number, BankView>();
  for (const r of input.bankRecords) {
    const view = bank.get(r.stan) ?? { debit: undefined, reversed: false };
    if (r.kind === 'transfer') view.debit = r;
    else view.reversed = true;
    bank.set(r.stan, view);
  }
  const loads = byStan(input.loads);
  const transfers = byStan(input.transfers ?? []);
  const stans = new Set(bank.keys());
  for (const records of [loads, transfers]) for (const [stan, r] of records) if (expectedInFile(r, input)) stans.add(stan);
  return [...stans].sort((a, b) => a - b).map((stan) => {
    const load = loads.get(stan);
    const transfer = transfers.get(stan);
    // One STAN counter per terminal: a load and a transfer share one only across a wrap, and the later one is meant.
    return transfer && (!load || sentAt(load) < sentAt(transfer)) ? { stan, bank: bank.get(stan), load: undefined, transfer } : { stan, bank: bank.get(stan), load };
  });
}

type Found = Omit<Difference, 'status' | 'action'> & {
  /**
   * The automatic resolution, when one is safe here: what was done, or null when it could not be done (then
   * `operator` applies), or `{ open }` when the attempt showed why an operator is needed.
   */
  resolve?: (r: Resolver) => Promise<string | { open: string } | null>;
  /** What an operator has to do when nothing automatic applies (or it failed). */
  operator: string;
};

/** A standing transfer whose debit stands as far as the gateway knows. */
const TRANSFER_STANDS = (r: TransferRecord) => r.state === 'approved' || r.state === 'credit-owed';

/** The difference of a standing transfer's STAN, or null when bank and campus agree. Its reversals are its queue's. */
function classifyTransfer(p: Pair, transfer: TransferRecord, input: ReconcileInput): Found | null {
  const bankDebit = p.bank?.debit && !p.bank.reversed ? p.bank.debit : undefined;
  const base = {
    stan: p.stan, txnId: transfer.id, campusAmount: transfer.amount, bankAmount: p.bank?.debit?.amount ?? null,
    bankRef: p.bank?.debit?.bankRef || transfer.bankRef || null, gatewayState: transfer.state, kioskState: null,
    posting: input.postings.get(transfer.id)?.status ?? null,
  };
  if (bankDebit && (transfer.state === 'reversing' || transfer.state === 'reversed')) {
    return { ...base, class: 'reversal-unconfirmed', operator: "the standing transfer's reversal queue keeps sending it; if the bank's file still shows the debit tomorrow, ask the bank" };
  }
  if (bankDebit && !TRANSFER_STANDS(transfer)) {
    return { ...base, class: 'bank-only', operator: 'the bank debited a standing transfer the campus has no debit for: ask the bank to refund or trace it' };
  }
  if (!bankDebit && TRANSFER_STANDS(transfer)) {
    return { ...base, class: 'campus-only', operator: 'the campus owes the card a standing transfer the bank does not hold: ask the bank, hold the credit' };
  }
  if (bankDebit && bankDebit.amount !== transfer.amount) {
    return { ...base, class: 'amount-mismatch', operator: `campus ${transfer.amount} fen, bank ${bankDebit.amount} fen: correct with the bank` };
  }
  return null;
}

/** The difference of one STAN, or null when bank and campus agree. */
function classify(p: Pair, input: ReconcileInput): Found | null {
  if (p.transfer) return classifyTransfer(p, p.transfer, input);
  const { load } = p;
  const bankDebit = p.bank?.debit && !p.bank.reversed ? p.bank.debit : undefined;
  const kiosk = load ? input.kioskLoads?.get(load.id) : undefined;
  const base = {
    stan: p.stan, txnId: load?.id ?? null, campusAmount: load?.amount ?? null, bankAmount: (bankDebit ?? p.bank?.debit)?.amount ?? null,
    bankRef: (bankDebit ?? p.bank?.debit)?.bankRef || load?.bankRef || null, gatewayState: load?.state ?? null,
    kioskState: kiosk?.state ?? null, posting: (load && input.postings.get(load.id)?.status) ?? null,
  };

  if (load && (load.state === 'reversing' || (load.state === 'reversed' && bankDebit))) {
    return {
      ...base, class: 'reversal-unconfirmed',
      resolve: async (r) => {
        const answer = await r.reverse(load);
        // "Never had it" does not undo a debit its own file shows.
        if (answer === 'not-found' && bankDebit) return { open: 'the bank answers it never had the transfer, yet its file shows the debit: ask the bank' };
        return answer ? 'reversal sent again and confirmed by the bank' : null;
      },
      operator: 'the bank did not confirm the reversal: ask the bank, then reverse by hand',
    };
  }
  if (bankDebit && (!load || !DEBIT_STANDS(load))) {
    return { ...base, class: 'bank-only', operator: 'the bank debited a transfer the campus has no debit for: ask the bank to refund or trace it' };
  }
  if (!bankDebit && load && DEBIT_STANDS(load)) {
    return { ...base, class: 'campus-only', operator: 'the campus counts a debit the bank does not hold: ask the bank, hold the posting' };
  }
  if (!bankDebit || !load) return null;
  if (bankDebit.amount !== load.amount) {
    return { ...base, class: 'amount-mismatch', operator: `campus ${load.amount} fen, bank ${bankDebit.amount} fen: correct with the bank` };
  }
  if (load.state === 'pending-load') {
    return {
      ...base, class: 'pending-load',
      resolve: async () => 'pending load confirmed: the bank holds its debit, the amount waits for the card (圈存未领)',
      operator: '',
    };
  }
  if (load.state === 'tac-failed') {
    return { ...base, class: 'card-credited-without-final-posting', operator: 'the card answered a TAC that does not verify: check the card at the service centre' };
  }
  if (load.state !== 'mac2-issued' && load.state !== 'approved') return null;
  // The bank debited and the card may or may not hold the credit: the kiosk journal tells.
  if (kiosk && CARD_CREDITED.has(kiosk.state) && kiosk.tac) {
    return {
      ...base, class: 'card-credited-without-final-posting',
      resolve: async (r) => ((await r.confirm(load, kiosk)) ? "final posting made with the kiosk's TAC" : null),
      operator: "the kiosk's TAC does not verify: check the card at the service centre",
    };
  }
  const neverSent = kiosk && CREDIT_NEVER_SENT.has(kiosk.state) && load.state === 'mac2-issued';
  return {
    ...base, class: 'pending-load',
    ...(neverSent ? { resolve: async (r: Resolver) => (await r.park(load), 'parked as a pending load (圈存未领): the kiosk never sent the credit') } : {}),
    operator: kiosk ? `the kiosk left it ${kiosk.state}: the card decides (tap it at a kiosk)` : 'no kiosk journal or report: tap the card at a kiosk or read the kiosk journal',
  };
}

export interface ReconcileResult {
  differences: Difference[];
  /** Resolutions made in this run, to journal. */
  resolutions: PriorResolution[];
}

/** Finds and classifies every difference and applies the automatic resolutions not already made on an earlier run. */
export async function reconcile(input: ReconcileInput, resolver: Resolver, now = () => new Date()): Promise<ReconcileResult> {
  const differences: Difference[] = [];
  const resolutions: PriorResolution[] = [];
  for (const p of pairs(input)) {
    const prior = input.prior.get(p.stan);
    const found = classify(p, input);
    if (prior) {
      // Resolved on an earlier run: reported with its class and action of then, not touched again.
      differences.push({
        class: prior.class, status: 'resolved', ...facts(found ?? current(p, input)), action: prior.action,
        ...(prior.by ? { resolvedBy: prior.by, note: prior.note ?? '' } : {}),
      });
      continue;
    }
    if (!found) continue;
    let outcome: string | { open: string } | null = null;
    try {
      outcome = found.resolve ? await found.resolve(resolver) : null;
    } catch (err) {
      // Left open for the operator, with what went wrong; the next run tries again.
      outcome = { open: `${found.operator} (the automatic resolution failed: ${QuancunError.from(err).code})` };
    }
    if (typeof outcome === 'string') {
      resolutions.push({ stan: p.stan, class: found.class, action: outcome, at: now().toISOString() });
      differences.push({ class: found.class, status: 'resolved', ...facts(found), action: outcome });
    } else {
      differences.push({ class: found.class, status: 'open', ...facts(found), action: outcome?.open ?? found.operator });
    }
  }
  return { differences, resolutions };
}

type Facts = Omit<Difference, 'class' | 'status' | 'action'>;

function facts(f: Facts & Partial<Found>): Facts {
  const { resolve: _r, operator: _o, class: _c, ...rest } = f;
  return rest;
}

/** The facts of a STAN resolved earlier that no longer differs, for the report. */
function current(p: Pair, input: ReconcileInput): Facts {
  const load = p.load;
  return {
    stan: p.stan, txnId: load?.id ?? null, campusAmount: load?.amount ?? null,
    bankAmount: p.bank?.debit?.amount ?? null, bankRef: p.bank?.debit?.bankRef || load?.bankRef || null, gatewayState: load?.state ?? null,
    kioskState: (load && input.kioskLoads?.get(load.id)?.state) ?? null, posting: (load && input.postings.get(load.id)?.status) ?? null,
  };
}
