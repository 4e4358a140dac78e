/**
 * What one chaos run does, drawn from its seeded generator: who loads how much where, and the faults injected.
 * A scenario is plain data, printed with a violation so it can be read as well as replayed.
 */
import type { Prng } from './prng.ts';

/**
 * Journal steps after which the kiosk process can be killed: each state of a load and of a collect (领款) that
 * allows a step. Steps on error paths (torn, abandoning) fire only in runs that reach them.
 */
export const KIOSK_KILL_STEPS = [
  'txn/load created', 'txn/load authorizing', 'txn/load authorized', 'txn/load crediting', 'txn/load credited', 'txn/load torn',
  'txn/load abandoning', 'txn/collect checking', 'txn/collect crediting', 'txn/collect credited',
] as const;
/** Gateway journal steps after which the gateway process can be killed. */
export const GATEWAY_KILL_STEPS = ['gw/load received', 'gw/load bank-pending', 'gw/load approved', 'gw/load mac2-issued', 'gw/load reversing', 'gw/load pending-load'] as const;

/** `txn/load crediting` → the machine's key prefix and the state. */
export function journalStep(step: string): { prefix: string; state: string } {
  const [prefix, state] = step.split(' ') as [string, string];
  return { prefix, state };
}
/** Kiosk journal states at which the broker is killed and restarted. */
export const BROKER_STEPS = ['authorizing', 'authorized', 'crediting', 'credited'] as const;
/** APDUs during which the card leaves the field: SELECT, READ BINARY, GET BALANCE, INITIALIZE FOR LOAD, CREDIT FOR LOAD. */
export const TEAR_INS = [0xa4, 0xb0, 0x5c, 0x50, 0x52] as const;

export type Fault =
  | { kind: 'kiosk-kill'; step: (typeof KIOSK_KILL_STEPS)[number] }
  | { kind: 'gateway-kill'; step: (typeof GATEWAY_KILL_STEPS)[number] }
  | { kind: 'broker-restart'; step: (typeof BROKER_STEPS)[number] }
  | { kind: 'bank-late'; latencyMs: number }
  | { kind: 'bank-too-late'; latencyMs: number }
  | { kind: 'bank-silent' }
  | { kind: 'bank-bad-mac' }
  | { kind: 'bank-drop' }
  | { kind: 'card-removed'; ins: (typeof TEAR_INS)[number]; when: 'before' | 'after'; returns: boolean; returnAfterMs: number };

export type FaultKind = Fault['kind'];
export const FAULT_KINDS: readonly FaultKind[] = [
  'kiosk-kill', 'gateway-kill', 'broker-restart', 'bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop', 'card-removed',
];

export type ScenarioKind = 'load' | 'wrong-pin' | 'unbound-card';

export interface Scenario {
  index: number;
  kind: ScenarioKind;
  kioskId: string;
  asn: string;
  amount: number;
  pin: string;
  faults: Fault[];
}

export interface ScenarioWorld {
  kioskIds: string[];
  /** Cards bound to a bank account, with the account's PIN. */
  boundCards: Array<{ asn: string; pin: string }>;
  unboundCards: string[];
  maxLoad: number;
  /** Bank answer time of the harness's profile: late answers fall either side of it. */
  bankResponseMs: number;
  /** Only these fault kinds are drawn. */
  faultKinds: readonly FaultKind[];
}

function drawFault(r: Prng, kind: FaultKind, w: ScenarioWorld): Fault {
  switch (kind) {
    case 'kiosk-kill':
      return { kind, step: r.pick(KIOSK_KILL_STEPS) };
    case 'gateway-kill':
      return { kind, step: r.pick(GATEWAY_KILL_STEPS) };
    case 'broker-restart':
      return { kind, step: r.pick(BROKER_STEPS) };
    case 'bank-late':
      return { kind, latencyMs: r.int(20, Math.floor(w.bankResponseMs / 3)) };
    case 'bank-too-late':
      return { kind, latencyMs: w.bankResponseMs + r.int(50, 400) };
    case 'card-removed':
      return { kind, ins: r.pick(TEAR_INS), when: r.chance(0.5) ? 'before' : 'after', returns: r.chance(0.7), returnAfterMs: r.int(0, 400) };
    default:
      return { kind };
  }
}

const BANK_KINDS = new Set<FaultKind>(['bank-late', 'bank-too-late', 'bank-silent', 'bank-bad-mac', 'bank-drop']);

export function drawScenario(r: Prng, index: number, w: ScenarioWorld): Scenario {
  const roll = r.next();
  const kind: ScenarioKind = roll < 0.06 && w.unboundCards.length ? 'unbound-card' : roll < 0.12 ? 'wrong-pin' : 'load';
  const card = r.pick(w.boundCards);
  const asn = kind === 'unbound-card' ? r.pick(w.unboundCards) : card.asn;
  const pin = kind === 'wrong-pin' ? card.pin.split('').reverse().join('') + '9' : card.pin;
  // Mostly one fault, some runs none (the baseline must hold too), some two of different kinds.
  const faults: Fault[] = [];
  const count = w.faultKinds.length === 0 ? 0 : r.pick([0, 1, 1, 1, 1, 1, 2, 2]);
  // A few draws, not a loop until done: the allowed kinds may not admit a second fault.
  for (let tries = 0; faults.length < count && tries < 8; tries++) {
    const k = r.pick(w.faultKinds);
    // One bank misbehaviour per run: the simulator takes one behaviour at a time.
    if (faults.some((f) => f.kind === k || (BANK_KINDS.has(f.kind) && BANK_KINDS.has(k)))) continue;
    faults.push(drawFault(r, k, w));
  }
  return { index, kind, kioskId: r.pick(w.kioskIds), asn, amount: r.int(1, Math.min(w.maxLoad, 5000)), pin, faults };
}

export function describeFault(f: Fault): string {
  switch (f.kind) {
    case 'kiosk-kill':
    case 'gateway-kill':
    case 'broker-restart':
      return `${f.kind}@${f.step}`;
    case 'bank-late':
    case 'bank-too-late':
      return `${f.kind}(${f.latencyMs}ms)`;
    case 'card-removed':
      return `card-removed ${f.when} INS ${f.ins.toString(16).toUpperCase()}${f.returns ? `, back after ${f.returnAfterMs}ms` : ', never returns'}`;
    default:
      return f.kind;
  }
}

/** The key a fault is counted under in the summary: a card that never comes back is its own kind. */
export function faultKey(f: Fault): string {
  return f.kind === 'card-removed' && !f.returns ? 'card-never-returns' : f.kind;
}
