/**
 * What one chaos run does, drawn from its seeded generator: which kind of run (a load, a fee, a subsidy, a batch
 * transfer run), who taps how much where, and the faults injected.
 * A scenario is plain data, printed with a violation so it can be read as well as replayed.
 */
import { INS_NAME } from '../../runtime/card/purse.ts';
import { isFinal } from '../../common/store/journaled-machine.ts';
import { journalPrefix } from '../../runtime/flows/flow.ts';
import { FLOWS } from '../../runtime/flows/registry.ts';
import { GATEWAY_FEE_MACHINE } from '../../gateway/fees/fee-machine.ts';
import { CAMPUS_CREDIT_MACHINE } from '../../gateway/credits/campus-credits.ts';
import { RUN_MACHINE, TRANSFER_MACHINE } from '../../gateway/transfers/transfer-machine.ts';
import type { MachineSpec } from '../../common/store/journaled-machine.ts';
import type { Prng } from './prng.ts';

/** Every state of `spec` that allows a step (every state but the final ones), as `<prefix> <state>`. */
function stepsOf(prefix: string, spec: MachineSpec<string>): string[] {
  return Object.keys(spec.transitions).filter((state) => !isFinal(spec, state)).map((state) => `${prefix} ${state}`);
}
const kioskSteps = (kind: KioskFlowKind) => stepsOf(journalPrefix(kind), FLOWS.find((f) => f.kind === kind)!.machine as MachineSpec<string>);
type KioskFlowKind = (typeof FLOWS)[number]['kind'];

/**
 * What each kind of run does, in one table: the kiosk flows it runs (a run that taps a card collects what the card is
 * owed first; a kiosk is killed after any step of them that allows a step, error paths firing only in runs that reach
 * them), the gateway steps it drives, the steps the broker is restarted at (a flow's main path), and the fault kinds
 * it can meet.
 */
interface RunKindSpec {
  kioskFlows: readonly KioskFlowKind[];
  gatewaySteps: readonly string[];
  brokerSteps: readonly string[];
  faults: ReadonlySet<FaultKind>;
}
const CREDIT_STEPS = stepsOf('gw/credit', CAMPUS_CREDIT_MACHINE as MachineSpec<string>);
const COLLECT_BROKER_STEPS = ['txn/collect checking', 'txn/collect crediting', 'txn/collect credited'];
const LOAD_RUN: RunKindSpec = {
  kioskFlows: ['load', 'collect'],
  gatewaySteps: ['gw/load received', 'gw/load bank-pending', 'gw/load approved', 'gw/load mac2-issued', 'gw/load reversing', 'gw/load pending-load'],
  brokerSteps: ['txn/load authorizing', 'txn/load authorized', 'txn/load crediting', 'txn/load credited'],
  faults: new Set(['kiosk-kill', 'gateway-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed', 'gateway-stall', 'kiosk-stall']),
};
export const RUN_KINDS: Readonly<Record<ScenarioKind, RunKindSpec>> = {
  load: LOAD_RUN,
  'wrong-pin': LOAD_RUN,
  'unbound-card': LOAD_RUN,
  fee: {
    kioskFlows: ['fee', 'collect'],
    gatewaySteps: stepsOf('gw/fee', GATEWAY_FEE_MACHINE as MachineSpec<string>),
    brokerSteps: ['txn/fee beginning', 'txn/fee debiting', 'txn/fee debited'],
    faults: new Set(['kiosk-kill', 'gateway-kill', 'broker-restart', 'card-removed', 'biller-slow', 'biller-too-slow', 'biller-refuse', 'biller-down', 'biller-lost-answer', 'biller-silent', 'gateway-stall', 'kiosk-stall']),
  },
  // The campus issues a subsidy (gw/credit owed), the cardholder collects it (补助领取: gw/credit mac2-issued, txn/collect).
  subsidy: {
    kioskFlows: ['collect'],
    gatewaySteps: CREDIT_STEPS,
    brokerSteps: COLLECT_BROKER_STEPS,
    faults: new Set(['kiosk-kill', 'gateway-kill', 'broker-restart', 'card-removed', 'gateway-stall', 'kiosk-stall']),
  },
  // A batch transfer run of every bound card's standing order, then the run's card collects its credit.
  transfer: {
    kioskFlows: ['collect'],
    gatewaySteps: [...stepsOf('gw/transfer-run', RUN_MACHINE as MachineSpec<string>), ...stepsOf('gw/transfer', TRANSFER_MACHINE as MachineSpec<string>), ...CREDIT_STEPS],
    brokerSteps: COLLECT_BROKER_STEPS,
    faults: new Set(['kiosk-kill', 'gateway-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed', 'gateway-stall', 'kiosk-stall']),
  },
};
/** How many transfers of a run a fault may pick from: the nth transfer's step (the run sends one per bound card). */
const TRANSFERS_PICKED = 2;

/** `txn/load crediting` → the machine's key prefix and the state. */
export function journalStep(step: string): { prefix: string; state: string } {
  const [prefix, state] = step.split(' ') as [string, string];
  return { prefix, state };
}
/** Where a kiosk reads cards: the simulated field over IPC, or a vpcd slot of a real pcscd (fields.ts). */
export type FieldKind = 'sim' | 'pcsc';

/** The purse's names; INITIALIZE (0x50) is for a load in a load or a collect, for a purchase in a fee. */
const INS_NAMES: Readonly<Record<TearFlow, Readonly<Record<number, string>>>> = {
  load: { ...INS_NAME, 0x50: 'INITIALIZE FOR LOAD' },
  collect: { ...INS_NAME, 0x50: 'INITIALIZE FOR LOAD' },
  fee: { ...INS_NAME, 0x50: 'INITIALIZE FOR PURCHASE' },
};
/**
 * The APDUs an exchange breaks off at, per flow: a load's card read at the tap, its INITIALIZE and CREDIT FOR LOAD;
 * a collect's check of the card's counter (INITIALIZE, GET TRANSACTION PROVE when the earlier credit applied) and its
 * CREDIT FOR LOAD; a fee's INITIALIZE FOR PURCHASE, DEBIT FOR PURCHASE, and GET TRANSACTION PROVE (the proof of a
 * torn debit that applied, read when the card comes back).
 */
export const TEAR_POINTS = {
  load: [0xa4, 0xb0, 0x5c, 0x50, 0x52],
  collect: [0x50, 0x5a, 0x52],
  fee: [0x50, 0x54, 0x5a],
} as const;
export type TearFlow = 'load' | 'collect' | 'fee';

/**
 * How an exchange breaks off, per field, as its parts do. pcscd + vpcd: the card leaves by FIN or RST (pcscd answers
 * 0 bytes with success), answers an empty frame (pcscd never answers: the kiosk's answer timeout), 1 byte, or
 * garbage. The simulated field: the card leaves (as pcscd reports it), the same wrong answers, and the reader's own
 * faults, which a shared pcscd cannot be made to produce: a comm error, a card reset, an unresponsive card, the
 * reader unplugged.
 */
export const TEAR_WAYS = {
  pcsc: ['fin', 'rst', 'empty', 'short', 'garbage'],
  sim: ['leave', 'empty', 'short', 'garbage', 'comm-error', 'card-reset', 'unresponsive', 'reader-unplugged'],
} as const;
export type TearWay = (typeof TEAR_WAYS)[FieldKind][number];

export interface Tear {
  ins: number;
  /** before: the card never sees the APDU; after: it applied it and the answer is lost. */
  when: 'before' | 'after';
  how: TearWay;
}

/** The re-present window of the harness's kiosks: a card back within it is read again by the waiting load. */
export const RE_PRESENT_SECONDS = 3;

export type Fault =
  | { kind: 'kiosk-kill'; step: string }
  /** nth: the step's nth write in the run (a transfer run writes each transfer's steps once per transfer). */
  | { kind: 'gateway-kill'; step: string; nth: number }
  | { kind: 'broker-restart'; step: string }
  /** The process stopped (SIGSTOP) right after a step for stallMs, longer than a kiosk waits for an answer. */
  | { kind: 'gateway-stall' | 'kiosk-stall'; step: string; stallMs: number }
  | { kind: 'bank-late'; latencyMs: number }
  | { kind: 'bank-too-late'; latencyMs: number }
  | { kind: 'bank-silent' }
  | { kind: 'bank-bad-mac' }
  | { kind: 'bank-drop' }
  | ({ kind: 'card-removed'; flow: TearFlow; returns: boolean; returnAfterMs: number } & Tear)
  | { kind: 'biller-slow'; latencyMs: number }
  | { kind: 'biller-too-slow'; latencyMs: number }
  | { kind: 'biller-refuse' }
  | { kind: 'biller-down'; upAtTry: number | null }
  | { kind: 'biller-lost-answer' }
  | { kind: 'biller-silent'; latencyMs: number };

export type FaultKind = Fault['kind'];
export const FAULT_KINDS: readonly FaultKind[] = [
  'kiosk-kill', 'gateway-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed',
  'biller-slow', 'biller-too-slow', 'biller-refuse', 'biller-down', 'biller-lost-answer', 'biller-silent',
  'gateway-stall', 'kiosk-stall',
];
const BANK_KINDS = new Set<FaultKind>(['bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop']);
const BILLER_KINDS = new Set<FaultKind>(['biller-slow', 'biller-too-slow', 'biller-refuse', 'biller-down', 'biller-lost-answer', 'biller-silent']);

export type ScenarioKind = 'load' | 'wrong-pin' | 'unbound-card' | 'fee' | 'subsidy' | 'transfer';
/**
 * How often each kind of run is drawn, among those the series allows. Without subsidies and transfers the first four
 * draw as the series did before those existed (6 %, 6 %, 33 %, 55 %), so the suite's tuned seeds still tear where
 * they did.
 */
const KIND_WEIGHTS: Readonly<Record<ScenarioKind, number>> = { 'unbound-card': 6, 'wrong-pin': 6, fee: 33, load: 55, subsidy: 12, transfer: 12 };
export const SCENARIO_KINDS = Object.keys(KIND_WEIGHTS) as ScenarioKind[];

export interface Scenario {
  index: number;
  kind: ScenarioKind;
  kioskId: string;
  asn: string;
  amount: number;
  pin: string;
  /** A fee run's biller and account (one of the simulated biller's accounts). */
  fee?: { billerId: string; account: string };
  /** A subsidy run: whether the cardholder comes to collect it in this run (else it stays outstanding). */
  subsidy?: { collects: boolean };
  /**
   * A transfer run: each bound card's standing order amount, in the order of `boundCards`, and which of the run's
   * transfers (1-based) a bank fault meets.
   */
  transfer?: { amounts: number[]; bankFaultAt: number };
  faults: Fault[];
}

export interface ScenarioWorld {
  kioskIds: string[];
  /** The field each kiosk reads from. */
  fields: Record<string, FieldKind>;
  /** Cards bound to a bank account, with the account's PIN. */
  boundCards: Array<{ asn: string; pin: string }>;
  unboundCards: string[];
  maxLoad: number;
  /** Bank answer time of the harness's profile: late answers fall either side of it. */
  bankResponseMs: number;
  /** How long a kiosk waits for the gateway's answer: a stall outlasts it. */
  requestTimeoutMs: number;
  /** The biller accounts a fee can pay; none: no fee runs. */
  billerAccounts: Array<{ billerId: string; account: string }>;
  /** How long the gateway waits for one biller answer, and how often it tries one payment. */
  billerTimeoutMs: number;
  billerPayTries: number;
  /** Only these fault kinds are drawn. */
  faultKinds: readonly FaultKind[];
  /** Only these kinds of run are drawn. */
  kinds: readonly ScenarioKind[];
}

/**
 * A step of the run's own kiosk flow, or of a collect (a card owed a credit has it written first). In the registry's
 * order (load, collect, fee), as the series drew them before each kind named its flows.
 */
const kioskStep = (r: Prng, spec: RunKindSpec) => r.pick(FLOWS.filter((f) => spec.kioskFlows.includes(f.kind)).flatMap((f) => kioskSteps(f.kind)));

/** A stall outlasts the kiosk's wait for an answer (up to three of them), well short of the broker's keepalive. */
const stallMs = (r: Prng, w: ScenarioWorld) => r.int(w.requestTimeoutMs + 200, 3 * w.requestTimeoutMs);

function drawFault(r: Prng, kind: FaultKind, w: ScenarioWorld, field: FieldKind, run: ScenarioKind): Fault {
  const spec = RUN_KINDS[run];
  switch (kind) {
    case 'kiosk-kill':
      return { kind, step: kioskStep(r, spec) };
    case 'kiosk-stall':
      // A board's SD card that takes seconds over a write, at the steps a kill takes.
      return { kind, step: kioskStep(r, spec), stallMs: stallMs(r, w) };
    case 'gateway-kill': {
      const step = r.pick(spec.gatewaySteps);
      // A batch run writes each transfer's steps (and their credits) once per transfer: kill at the first or a later one.
      return { kind, step, nth: run === 'transfer' && !step.startsWith('gw/transfer-run ') ? r.int(1, TRANSFERS_PICKED) : 1 };
    }
    case 'broker-restart':
      return { kind, step: r.pick(spec.brokerSteps) };
    case 'gateway-stall':
      // The gateway stays online on the broker, as one held up by a database failover or a long pause does.
      return { kind, step: r.pick(spec.gatewaySteps), stallMs: stallMs(r, w) };
    case 'bank-late':
      return { kind, latencyMs: r.int(20, Math.floor(w.bankResponseMs / 3)) };
    case 'bank-too-late':
      return { kind, latencyMs: w.bankResponseMs + r.int(50, 400) };
    case 'biller-slow':
      return { kind, latencyMs: r.int(20, Math.floor(w.billerTimeoutMs / 2)) };
    case 'biller-too-slow':
    case 'biller-silent':
      return { kind, latencyMs: w.billerTimeoutMs + r.int(50, 300) };
    case 'biller-down':
      // Back before one of the later tries (then paid), or down for every try of this run (then owed back).
      return { kind, upAtTry: r.chance(0.5) ? r.int(2, w.billerPayTries) : null };
    case 'card-removed': {
      // A load's collect needs a pending load, which the run makes first (only where the bank debits: a load); a
      // subsidy's or a transfer's collect writes what the campus side made owed.
      const flow: TearFlow = run === 'fee' ? 'fee' : run === 'subsidy' || run === 'transfer' ? 'collect' : run === 'load' && r.chance(0.4) ? 'collect' : 'load';
      // Back after 1–25 s, most often soon: about 45% within the re-present window, the rest after it closed,
      // when the load is a pending one that the next tap writes.
      const returnAfterMs = 1000 + Math.floor(24_000 * r.next() ** 3);
      return {
        kind, flow, ins: r.pick(TEAR_POINTS[flow]), when: r.chance(0.5) ? 'before' : 'after', how: r.pick(TEAR_WAYS[field]),
        returns: r.chance(0.7), returnAfterMs,
      };
    }
    default:
      return { kind };
  }
}

function drawKind(r: Prng, w: ScenarioWorld): ScenarioKind {
  // In the weights' order whatever order the series named them in: the same kinds draw the same runs.
  const allowed = SCENARIO_KINDS.filter((k) => w.kinds.includes(k) && (k !== 'unbound-card' || w.unboundCards.length > 0) && (k !== 'fee' || w.billerAccounts.length > 0));
  let roll = r.next() * allowed.reduce((sum, k) => sum + KIND_WEIGHTS[k], 0);
  for (const k of allowed) {
    roll -= KIND_WEIGHTS[k];
    if (roll < 0) return k;
  }
  return allowed.at(-1) ?? 'load';
}

export function drawScenario(r: Prng, index: number, w: ScenarioWorld): Scenario {
  const kind = drawKind(r, w);
  const kioskId = r.pick(w.kioskIds);
  const card = r.pick(w.boundCards);
  const asn = kind === 'unbound-card' ? r.pick(w.unboundCards) : card.asn;
  const pin = kind === 'wrong-pin' ? card.pin.split('').reverse().join('') + '9' : card.pin;
  // Mostly one fault, some runs none (the baseline must hold too), some two of different kinds.
  const faults: Fault[] = [];
  const kinds = w.faultKinds.filter((k) => RUN_KINDS[kind].faults.has(k));
  const count = kinds.length === 0 ? 0 : r.pick([0, 1, 1, 1, 1, 1, 2, 2]);
  // A few draws, not a loop until done: the allowed kinds may not admit a second fault.
  for (let tries = 0; faults.length < count && tries < 8; tries++) {
    const k = r.pick(kinds);
    // One bank (or biller) misbehaviour per run: each simulator takes one behaviour at a time.
    const same = (set: Set<FaultKind>) => faults.some((f) => set.has(f.kind)) && set.has(k);
    if (faults.some((f) => f.kind === k) || same(BANK_KINDS) || same(BILLER_KINDS)) continue;
    faults.push(drawFault(r, k, w, w.fields[kioskId]!, kind));
  }
  // A fee is small beside what the loads put on the cards (most are paid; a few exceed what is left and are refused).
  const fee = kind === 'fee' ? r.pick(w.billerAccounts) : undefined;
  const amount = fee ? r.int(1, 600) : r.int(1, Math.min(w.maxLoad, 5000));
  const extra = kind === 'subsidy' ? { subsidy: { collects: r.chance(0.85) } }
    : kind === 'transfer' ? { transfer: { amounts: w.boundCards.map(() => r.int(1, Math.min(w.maxLoad, 5000))), bankFaultAt: r.int(1, TRANSFERS_PICKED) } }
    : {};
  return { index, kind, kioskId, asn, amount, pin, ...(fee ? { fee } : {}), ...extra, faults };
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'kiosk-kill':
    case 'broker-restart':
      return `${f.kind}@${f.step}`;
    case 'gateway-stall':
    case 'kiosk-stall':
      return `${f.kind}@${f.step} (${f.stallMs}ms)`;
    case 'gateway-kill':
      return `${f.kind}@${f.step}${f.nth > 1 ? ` (#${f.nth})` : ''}`;
    case 'bank-late':
    case 'bank-too-late':
    case 'biller-slow':
    case 'biller-too-slow':
    case 'biller-silent':
      return `${f.kind}(${f.latencyMs}ms)`;
    case 'biller-down':
      return `biller-down (${f.upAtTry ? `up at try ${f.upAtTry}` : 'every try'})`;
    case 'card-removed':
      return `card-removed (${f.how}) ${f.when} ${f.flow} ${INS_NAMES[f.flow][f.ins]}${f.returns ? `, back after ${f.returnAfterMs}ms` : ', never returns'}`;
    default:
      return f.kind;
  }
}

/** Where a tear was drawn, as the summary counts it: flow, APDU, before or after the card applied it. */
export function tearPoint(t: Tear & { flow: TearFlow }): string {
  return `${t.flow} ${INS_NAMES[t.flow][t.ins]} ${t.when}`;
}

/** The key a fault is counted under in the summary: a card that never comes back is its own kind. */
export function faultKey(f: Fault): string {
  return f.kind === 'card-removed' && !f.returns ? 'card-never-returns' : f.kind;
}
