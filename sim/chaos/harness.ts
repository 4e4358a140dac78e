/**
 * `quancun chaos`: many seeded scenarios — loads, fees, subsidies issued and collected, batch transfer runs — against
 * real processes (the broker, the gateway and two kiosks as child processes; the bank and biller simulators and the
 * cards in this one), each with faults injected, each followed by a settle and the money invariant (invariant.ts). Processes are reused across runs and only restarted where a run
 * kills them, which is what makes thousands of runs affordable.
 */
import { EventEmitter } from 'node:events';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig, type Config, type LoadedConfig } from '../../common/config.ts';
import { QuancunError } from '../../common/errors.ts';
import { kioskConfigFor } from '../../board/kiosk-config.ts';
import { injectSimPinPadKey } from '../../provisioning/pin-key-injection.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { loadBankProfile } from '../../gateway/bank/iso8583/profile.ts';
import { GATEWAY_LOAD_MACHINE } from '../../gateway/loads/gateway-load-machine.ts';
import { GATEWAY_FEE_MACHINE } from '../../gateway/fees/fee-machine.ts';
import { FLOWS } from '../../runtime/flows/registry.ts';
import { journalPrefix } from '../../runtime/flows/flow.ts';
import type { MachineSpec } from '../../common/store/journaled-machine.ts';
import { BankHostSimulator, type BankBehaviour } from '../bank/bank-host.ts';
import { BillerSimulator } from '../biller/biller-host.ts';
import { issueSimulationCards } from '../card/config-cards.ts';
import type { CardDevice } from '../card/card-device.ts';
import type { VirtualCard } from '../card/virtual-card.ts';
import { requestCollect, requestFee, requestLoad } from './cardholder-ipc.ts';
import type { Arm, JournalStep } from './child-tap.ts';
import {
  checkInvariant, type CampusCreditView, type CardCredit, type CardDebit, type FeeView, type JournalEntry, type MoneyView, type StandingView, type Violation,
} from './invariant.ts';
import { CAMPUS_CREDIT_MACHINE } from '../../gateway/credits/campus-credits.ts';
import { RUN_MACHINE, TRANSFER_MACHINE } from '../../gateway/transfers/transfer-machine.ts';
import type { SubsidyReport } from '../../gateway/subsidies/subsidy-report.ts';
import { campusTime } from '../../common/campus-time.ts';
import { formatYuan } from '../../common/money.ts';
import { Member } from './member.ts';
import { prng } from './prng.ts';
import { startBroker, type BrokerProcess } from './processes.ts';
import { startPgCluster } from '../postgres/pg-cluster.ts';
import { pcscField, simField, type KioskField, type RunField } from './fields.ts';
import type { VpcdSlot } from '../card/vpcd-connector.ts';
import {
  FAULT_KINDS, RE_PRESENT_SECONDS, SCENARIO_KINDS, describeFault, drawScenario, faultKey, journalStep, tearPoint,
  type Fault, type FaultKind, type FieldKind, type Scenario, type ScenarioKind, type ScenarioWorld,
} from './scenario.ts';

export interface ChaosOptions {
  /** The deployment config the run is built from (cardholders, kiosks, keys); the harness adapts a copy. */
  loaded: LoadedConfig;
  runs: number;
  seed: number;
  /**
   * Where the kiosks read cards: every kiosk on the simulated field, every kiosk on a vpcd slot of a running pcscd
   * (its PC/SC backend), or both (the first kiosk simulated, the next on pcscd, and so on). Default sim.
   */
  field?: FieldKind | 'both';
  /** The vpcd slots for the pcsc kiosks, in order (one each). */
  vpcdSlots?: readonly VpcdSlot[];
  /** Run only this scenario index (a replay), on fresh processes and data. */
  only?: number;
  faultKinds?: readonly FaultKind[];
  /** Only these kinds of run are drawn (default: all). */
  kinds?: readonly ScenarioKind[];
  /** Longest wait for the journals to finish after a run. */
  settleMs?: number;
  /** Environment for the kiosk processes (the broken-build test sets QUANCUN_CHAOS_BROKEN here). */
  kioskEnv?: NodeJS.ProcessEnv;
  onProgress?: (done: number, total: number, violations: number) => void;
  /** Each run's scenario and how the kiosk ended the load. */
  onRun?: (scenario: string, outcome: string) => void;
  /** Ends the series after the current run; the report covers the runs done. */
  signal?: AbortSignal;
  /**
   * The gateway's store: LevelDB (default), or PostgreSQL (a private cluster for the series) with a second gateway
   * always waiting as the standby: a killed gateway is replaced by the standby taking the store over by itself.
   */
  store?: 'leveldb' | 'postgres';
}

export interface ReportedViolation extends Violation {
  seed: number;
  run: number;
  scenario: string;
  /** The command that replays the run that showed it: alone on fresh processes, or with the runs before it. */
  replay: string;
}

export interface ChaosReport {
  runs: number;
  seed: number;
  broker: string;
  mix: Record<ScenarioKind, number>;
  /** How the kiosk ended each load (its journal state, and the error code if any). */
  outcomes: Record<string, number>;
  faults: Record<string, number>;
  /** The field each kiosk read from. */
  fields: Record<string, FieldKind>;
  /** Tears that actually happened, per flow, APDU and before/after the card applied it; and per way they broke off. */
  tears: Record<string, number>;
  tearWays: Record<string, number>;
  /**
   * Kills and biller faults that actually took effect, not the ones drawn: `kill <journal step>` per process killed
   * there, and each biller fault when the biller was set to it (a fee that never reached its debit meets none).
   */
  fired: Record<string, number>;
  violations: ReportedViolation[];
  elapsedMs: number;
}

/** Bank answer time of the harness's copy of the bank profile: short, so silent banks cost little time. */
const BANK_RESPONSE_MS = 400;
/** How long the kiosks wait for the gateway's answer: past the bank's timeout, with room for the gateway's steps. */
const REQUEST_TIMEOUT_MS = 3 * BANK_RESPONSE_MS + 300;
/** Longest a load may take at a kiosk, torn-card waits and retries included, before the harness calls it hung. */
const LOAD_LIMIT_MS = 30_000;
const KIOSK_PREFIX = journalPrefix('load');
const KIOSK_FEES = journalPrefix('fee');
const GATEWAY_PREFIX = 'gw/load';
/**
 * The gateway's store records the invariant reads, in one place: its loads, its fees, the campus's owed credits (of
 * every source; the invariant takes the fees' refunds, source fee-refund, from them), and the ledger's postings (loads,
 * credits) and transfers (fees).
 */
const GATEWAY_RECORDS = {
  loads: `${GATEWAY_PREFIX}/`,
  fees: 'gw/fee/',
  credits: 'gw/credit/',
  postings: 'ledger/posting/',
  transfers: 'ledger/transfer/',
  standing: 'gw/transfer/',
  standingRuns: 'gw/transfer-run/',
} as const;
/**
 * A transfer run's standing orders are top-ups below a threshold no card reaches, one of its own per run (a rule is
 * due once a day): every bound card's order is due at every run.
 */
const TOP_UP_BELOW = 1_000_000_000;
/** The gateway's machine prefix of fees, as its journal steps name it. */
const GATEWAY_FEE_PREFIX = 'gw/fee';
/** How long the gateway waits for one biller answer here: a silent biller costs little, and a fee ends well within the kiosk's wait. */
const BILLER_TIMEOUT_MS = 400;
const BILLER_PAY_TRIES = 3;
/** A payment the biller may have applied and did not answer is asked again this soon: within a run's settle. */
const BILLER_RETRY_MS = 200;
/** The kiosk journals whose records must all reach a final state: every registered flow's. */
const KIOSK_JOURNALS: Record<string, MachineSpec<string>> = Object.fromEntries(FLOWS.map((f) => [`${journalPrefix(f.kind)}/`, f.machine]));
const CREDIT_FOR_LOAD = 0x52;
const DEBIT_FOR_PURCHASE = 0x54;
const INITIALIZE_FOR_LOAD = 0x50;
const GET_TRANSACTION_PROVE = 0x5a;
/** A card lifted after a torn debit is put back this soon: well within the re-present window. */
const PUT_BACK_MS = 500;
/** How each field's card leaves in the middle of a command. */
const LEAVES = { sim: 'leave', pcsc: 'fin' } as const;

/**
 * A virtual card as the harness holds it: every successful CREDIT FOR LOAD is recorded with its MAC2, every
 * successful DEBIT FOR PURCHASE with its MAC1.
 */
class ObservedCard implements CardDevice {
  readonly initialBalance: number;
  constructor(readonly card: VirtualCard, readonly asn: string, private readonly credits: CardCredit[], private readonly debits: CardDebit[]) {
    this.initialBalance = card.state().balance;
  }
  get atr(): Buffer {
    return this.card.atr;
  }
  reset(): void {
    this.card.reset();
  }
  transmit(apdu: Buffer): Buffer {
    const before = this.card.state().balance;
    const answer = this.card.transmit(apdu);
    const applied = apdu[0] === 0x80 && answer.length >= 2 && answer.readUInt16BE(answer.length - 2) === 0x9000;
    if (applied && apdu[1] === CREDIT_FOR_LOAD) {
      // CREDIT FOR LOAD data: date(4) | time(3) | MAC2(4).
      this.credits.push({ asn: this.asn, mac2: apdu.subarray(12, 16).toString('hex').toUpperCase(), amount: this.card.state().balance - before });
    }
    if (applied && apdu[1] === DEBIT_FOR_PURCHASE) {
      // DEBIT FOR PURCHASE data: terminal sequence(4) | date(4) | time(3) | MAC1(4).
      this.debits.push({ asn: this.asn, mac1: apdu.subarray(16, 20).toString('hex').toUpperCase(), amount: before - this.card.state().balance });
    }
    return answer;
  }
}

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  const world = await startWorld(o);
  const mix = Object.fromEntries(SCENARIO_KINDS.map((k) => [k, 0])) as Record<ScenarioKind, number>;
  const faults: Record<string, number> = {};
  const outcomes: Record<string, number> = {};
  const tears: Record<string, number> = {};
  const tearWays: Record<string, number> = {};
  const fired: Record<string, number> = {};
  const violations: ReportedViolation[] = [];
  const reported = new Set<string>();
  let runs = 0;
  const indices = o.only !== undefined ? [o.only] : Array.from({ length: o.runs }, (_, i) => i);
  try {
    for (const [done, index] of indices.entries()) {
      if (o.signal?.aborted) break;
      runs++;
      const s = drawScenario(prng(o.seed, index), index, world.scenarioWorld);
      mix[s.kind]++;
      for (const f of s.faults) faults[faultKey(f)] = (faults[faultKey(f)] ?? 0) + 1;
      const { outcome, violations: found, torn, took } = await world.run(s, reported);
      for (const f of took) fired[f] = (fired[f] ?? 0) + 1;
      for (const t of torn) {
        tears[tearPoint(t)] = (tears[tearPoint(t)] ?? 0) + 1;
        tearWays[t.how] = (tearWays[t.how] ?? 0) + 1;
      }
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
      o.onRun?.(describe(s), outcome);
      for (const v of found) {
        reported.add(v.key);
        violations.push({ ...v, seed: o.seed, run: index, scenario: describe(s), replay: `quancun chaos --seed ${o.seed} --replay ${index}  (with the runs before it: --runs ${index + 1})` });
      }
      o.onProgress?.(done + 1, indices.length, violations.length);
    }
  } finally {
    await world.stop();
  }
  return {
    runs, seed: o.seed, broker: world.broker.name, mix, outcomes, faults, fields: world.scenarioWorld.fields, tears, tearWays, fired, violations,
    elapsedMs: Date.now() - started,
  };
}

export function describe(s: Scenario): string {
  return `#${s.index} ${s.kind} ${s.amount} fen${s.fee ? ` to ${s.fee.billerId} ${s.fee.account}` : ''} card …${s.asn.slice(-4)} at ${s.kioskId}` + (s.faults.length ? `; ${s.faults.map(describeFault).join(', ')}` : '');
}

async function startWorld(o: ChaosOptions) {
  const dir = await mkdtemp(join(tmpdir(), 'quancun-chaos-'));
  const stops: Array<() => Promise<unknown>> = [() => rm(dir, { recursive: true, force: true })];
  const stop = async () => {
    for (const s of stops.reverse()) await s().catch(() => {});
  };
  try {
    const base = o.loaded.config;
    const bankConfig = base.banks[0]!;
    // The bank's own profile with short timeouts: an unanswered transfer costs 0.6 s here, not 30 s.
    const profile = JSON.parse(await readFile(bankProfilePath(bankConfig.profile), 'utf8')) as Record<string, unknown>;
    profile.timeouts = { connectMs: 1000, responseMs: BANK_RESPONSE_MS, reconnectMinMs: 20, reconnectMaxMs: 200 };
    const profilePath = join(dir, 'bank-profile.json');
    await writeFile(profilePath, JSON.stringify(profile));

    const fields = await kioskFields(base, o);
    for (const f of fields.values()) stops.push(() => f.stop());
    const config = chaosConfig(base, dir, profilePath, fields);
    const bank = new BankHostSimulator({
      profile: loadBankProfile(profilePath), tmk: Buffer.from(bankConfig.tmk, 'hex'),
      accounts: config.simulation!.bankAccounts.filter((a) => a.bankId === bankConfig.id)
        .map(({ pan, balance, pin, standingAgreement }) => ({ pan, balance, pin, ...(standingAgreement ? { standingAgreement } : {}) })),
      timeZone: config.campus.timeZone,
    });
    await bank.start();
    stops.push(() => bank.stop());
    const broker = await startBroker();
    stops.push(() => broker.stop());
    // The billers live here, as the bank does: their payments are the fee side's witness, their faults set per run.
    const billerAccounts = config.simulation!.billerAccounts ?? [];
    const biller = new BillerSimulator(config.billers.map((b) => ({
      id: b.id, accounts: billerAccounts.filter((a) => a.billerId === b.id).map(({ billerId: _, ...account }) => account),
    })));
    await biller.start();
    stops.push(() => biller.stop());
    config.billers = config.billers.map((b) => ({ ...b, url: biller.url(b.id), timeoutMs: BILLER_TIMEOUT_MS, payTries: BILLER_PAY_TRIES, retryMs: BILLER_RETRY_MS }));

    config.mqtt = { url: broker.url, embeddedPort: 0, requestTimeoutMs: REQUEST_TIMEOUT_MS };
    config.banks = config.banks.map((b) => (b.id === bankConfig.id ? { ...b, host: '127.0.0.1', port: bank.address().port } : b));
    if (o.store === 'postgres') {
      // A folder of its own: as root the server runs as postgres, which may not enter `dir`.
      const pgDir = await mkdtemp(join(tmpdir(), 'quancun-chaos-pg-'));
      stops.push(() => rm(pgDir, { recursive: true, force: true }));
      const cluster = await startPgCluster(pgDir);
      stops.push(() => cluster.stop());
      config.store = { backend: 'postgres', url: await cluster.createDatabase('chaos'), poolSize: 10, standby: true };
    }
    const configPath = join(dir, 'config.json');
    await writeFile(configPath, JSON.stringify(config));
    const loaded = parseConfig(config, configPath);

    const credits: CardCredit[] = [];
    const debits: CardDebit[] = [];
    const cards = new Map([...issueSimulationCards(loaded.config)].map(([asn, card]) => [asn, new ObservedCard(card, asn, credits, debits)]));

    const gateway = new Member('gateway', ['gateway', '--config', configPath], {}, o.store === 'postgres');
    await gateway.start();
    stops.push(() => gateway.stop());
    const kiosks = new Map<string, { member: Member; field: KioskField; run: RunField }>();
    for (const k of loaded.config.kiosks) {
      // Each kiosk process gets a config of its own, with no key in it; the harness injects its simulated pad's key.
      const kioskConfigPath = join(dir, `kiosk-${k.id}.json`);
      await writeFile(kioskConfigPath, JSON.stringify(kioskConfigFor(loaded, k.id)));
      await injectSimPinPadKey(loaded.config, k, loaded.dataDir);
      const member = new Member(`kiosk ${k.id}`, ['kiosk', '--config', kioskConfigPath], o.kioskEnv);
      const field = fields.get(k.id)!;
      const run = field.fresh(member);
      await member.start();
      stops.push(() => member.stop());
      kiosks.set(k.id, { member, field, run });
    }

    const bound = loaded.config.cardholders.filter((c) => c.bankPan && cards.has(c.asn.toUpperCase()));
    const pins = new Map(loaded.config.simulation!.bankAccounts.map((a) => [a.pan, a.pin]));
    const scenarioWorld: ScenarioWorld = {
      kioskIds: [...kiosks.keys()],
      fields: Object.fromEntries([...fields].map(([id, f]) => [id, f.kind])),
      boundCards: bound.map((c) => ({ asn: c.asn.toUpperCase(), pin: pins.get(c.bankPan!)! })),
      unboundCards: [...cards.keys()].filter((asn) => !bound.some((c) => c.asn.toUpperCase() === asn)),
      maxLoad: loaded.config.limits.maxLoad,
      bankResponseMs: BANK_RESPONSE_MS,
      requestTimeoutMs: REQUEST_TIMEOUT_MS,
      // Fees are paid for the bound cardholders' rooms and accounts (王五's unbound card pays none here).
      billerAccounts: billerAccounts.map(({ billerId, account }) => ({ billerId, account })),
      billerTimeoutMs: BILLER_TIMEOUT_MS,
      billerPayTries: BILLER_PAY_TRIES,
      faultKinds: o.faultKinds ?? FAULT_KINDS,
      kinds: o.kinds ?? SCENARIO_KINDS,
    };
    const campusAccounts = new Map(loaded.config.cardholders.map((c) => [c.asn.toUpperCase(), c.campusAccount]));
    // Before the series, each bound card loads once: a top-up order is due only for a card the gateway has seen in a
    // load (0.01 is enough), and a series of fees without loads pays from what this puts on the cards (100.00), where
    // it would otherwise find them empty and end nearly every run refused before any step its faults wait for.
    const fund = scenarioWorld.kinds.includes('fee') && !scenarioWorld.kinds.includes('load') ? 10_000 : scenarioWorld.kinds.includes('transfer') ? 1 : 0;
    if (fund > 0) {
      const [first] = kiosks.values();
      for (const c of scenarioWorld.boundCards) {
        await first!.run.insert(cards.get(c.asn)!);
        await requestLoad(first!.member.child, fund, c.pin, LOAD_LIMIT_MS);
        await first!.run.remove();
      }
    }
    const members = [gateway, ...[...kiosks.values()].map((k) => k.member)];
    const journalEvents = new EventEmitter<{ step: [JournalStep] }>();
    for (const m of members) m.on('journal', (s) => journalEvents.emit('step', s));

    const collect = async (): Promise<MoneyView> => {
      const gw = await gateway.dump(Object.values(GATEWAY_RECORDS));
      const journals = [
        { where: 'gateway gw/load', spec: GATEWAY_LOAD_MACHINE as MachineSpec<string>, records: gw[GATEWAY_RECORDS.loads] as JournalEntry[] },
        { where: 'gateway gw/fee', spec: GATEWAY_FEE_MACHINE as MachineSpec<string>, records: gw[GATEWAY_RECORDS.fees] as JournalEntry[] },
        { where: 'gateway gw/transfer', spec: TRANSFER_MACHINE as MachineSpec<string>, records: gw[GATEWAY_RECORDS.standing] as JournalEntry[] },
        { where: 'gateway gw/transfer-run', spec: RUN_MACHINE as MachineSpec<string>, records: gw[GATEWAY_RECORDS.standingRuns] as JournalEntry[] },
        { where: 'gateway gw/credit', spec: CAMPUS_CREDIT_MACHINE as MachineSpec<string>, records: gw[GATEWAY_RECORDS.credits] as JournalEntry[] },
      ];
      const kioskFees: JournalEntry[] = [];
      for (const [id, k] of kiosks) {
        const dump = await k.member.dump(Object.keys(KIOSK_JOURNALS));
        for (const [prefix, spec] of Object.entries(KIOSK_JOURNALS)) journals.push({ where: `kiosk ${id} ${prefix}`, spec, records: dump[prefix] as JournalEntry[] });
        kioskFees.push(...(dump[`${KIOSK_FEES}/`] as JournalEntry[]));
      }
      const campusCredits = gw[GATEWAY_RECORDS.credits] as CampusCreditView[];
      const fees: FeeView = {
        debits,
        fees: gw[GATEWAY_RECORDS.fees] as FeeView['fees'],
        payments: biller.payments(),
        kioskFees,
        transfers: gw[GATEWAY_RECORDS.transfers] as FeeView['transfers'],
      };
      return {
        bank: bank.state().applied.filter((a) => a.terminalId === bankConfig.terminalId),
        gateway: journals[0]!.records,
        journals,
        credits,
        postings: gw[GATEWAY_RECORDS.postings] as MoneyView['postings'],
        cardIncrease: [...cards.values()].reduce((sum, c) => sum + c.card.state().balance - c.initialBalance, 0),
        fees,
        campusCredits,
        standing: gw[GATEWAY_RECORDS.standing] as StandingView[],
        // The operator's subsidy report, as the console shows it: read only once a subsidy was issued.
        ...(campusCredits.some((c) => c.source === 'subsidy') ? { subsidyReport: await gateway.campus({ op: 'subsidy-report' }) as SubsidyReport } : {}),
      };
    };

    /** Waits until no journal holds an unfinished record not already reported, or the bound passes. */
    const settle = async (reported: Set<string>) => {
      const deadline = Date.now() + (o.settleMs ?? 8000);
      for (;;) {
        const view = await collect();
        const open = checkInvariant(view).filter((v) => v.rule === 'unfinished' && !reported.has(v.key));
        if (open.length === 0 || Date.now() > deadline) return view;
        // Woken by the next journal write anywhere, or a short poll for progress that writes nothing.
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, 100);
          function done() {
            clearTimeout(timer);
            journalEvents.off('step', done);
            resolve();
          }
          journalEvents.once('step', done);
        });
      }
    };

    type Torn = Extract<Fault, { kind: 'card-removed' }>;
    /**
     * The campus side of a subsidy or transfer run, on the gateway while it serves: issue the subsidy, or set each
     * bound card's standing order and start a batch run. A gateway killed meanwhile restarts (the kill's promise in
     * `restarts`); a killed run resumes at that start, and the run's settle waits for it to end.
     */
    const campusSide = async (s: Scenario): Promise<void> => {
      if (s.subsidy) {
        const period = campusTime(new Date(), config.campus.timeZone).date.slice(0, 7);
        await gateway.campus({ op: 'subsidy-issue', fields: {
          account: campusAccounts.get(s.asn)!, amount: formatYuan(s.amount), reason: `chaos ${s.index}`, period, expires: '2099-12-31',
        } });
      }
      if (s.transfer) {
        const { amounts } = s.transfer;
        const orders = scenarioWorld.boundCards.map((c, i) => ({
          campusAccount: campusAccounts.get(c.asn)!, amount: amounts[i]!, rule: { kind: 'below' as const, threshold: TOP_UP_BELOW + s.index },
        }));
        await gateway.campus({ op: 'transfer-orders', orders });
        await gateway.campus({ op: 'transfer-run' });
      }
    };
    const run = async (s: Scenario, reported: Set<string>): Promise<{ outcome: string; violations: Violation[]; torn: Torn[]; took: string[] }> => {
      const kiosk = kiosks.get(s.kioskId)!;
      const campusRun = s.kind === 'subsidy' || s.kind === 'transfer';
      // A fresh field per run: the card leaves every other reader, and no tear stays armed from a run it missed.
      for (const k of kiosks.values()) await k.run.remove();
      const field = (kiosk.run = kiosk.field.fresh(kiosk.member));
      const card = cards.get(s.asn)!;
      const restarts: Array<Promise<void>> = [];
      let ended = false;
      const detach: Array<() => void> = [() => (ended = true)];
      const arms = { kiosk: [] as Arm[], gateway: [] as Arm[] };
      const torn: Torn[] = [];
      const took: string[] = [];
      /** Pauses `m` right after it journals `state` the `nth` time, does `act`, and lets it go on. */
      const pauseAt = (m: Member, prefix: string, state: string, act: () => void | Promise<void>, nth = 1) => {
        for (let i = 0; i < nth; i++) (m === gateway ? arms.gateway : arms.kiosk).push({ prefix, state, action: 'pause' });
        let seen = 0;
        const onStep = (step: JournalStep) => {
          if (step.held !== 'pause' || step.prefix !== prefix || step.state !== state) return;
          if (++seen < nth) return m.resume(step.id);
          m.off('journal', onStep);
          void Promise.resolve(act()).then(() => m.resume(step.id));
        };
        m.on('journal', onStep);
        detach.push(() => m.off('journal', onStep));
      };
      // A collect needs a pending load for this card: a load first whose card leaves during CREDIT FOR LOAD and is
      // not back within the window (after the card applied it, when the collect's GET TRANSACTION PROVE is torn).
      const collectTear = s.faults.find((f): f is Torn => f.kind === 'card-removed' && f.flow === 'collect');
      if (collectTear && !campusRun) {
        void field.tear({ ins: CREDIT_FOR_LOAD, when: collectTear.ins === GET_TRANSACTION_PROVE ? 'after' : 'before', how: LEAVES[kiosk.field.kind] });
        await field.insert(card);
        await requestLoad(kiosk.member.child, s.amount, s.pin, LOAD_LIMIT_MS).catch(() => null);
        await field.remove();
      }
      /** The first time `m` journals the fault's step (its state written, not held): `act` runs beside the run. */
      const onceAt = (m: Member, f: { kind: string; step: string }, act: () => Promise<void>) => {
        const at = journalStep(f.step);
        const onStep = (step: JournalStep) => {
          if (step.prefix !== at.prefix || step.state !== at.state) return;
          m.off('journal', onStep);
          took.push(`${f.kind} ${f.step}`);
          restarts.push(act());
        };
        m.on('journal', onStep);
        detach.push(() => m.off('journal', onStep));
      };
      const killOnFreeze = (m: Member) => {
        const onStep = (step: JournalStep) => {
          if (step.held !== 'freeze') return;
          took.push(`kill ${step.prefix} ${step.state}`);
          restarts.push(m.restart());
        };
        m.on('journal', onStep);
        detach.push(() => m.off('journal', onStep));
      };
      let billerDown = false;
      /** Once only, whichever comes first: the try it was drawn to be up for, or the run's end. */
      const billerUp = async () => {
        if (!billerDown) return;
        billerDown = false;
        await biller.up();
      };
      /**
       * Set when the cardholder has gone and the biller is made itself again. A step the gateway journals only after
       * that (a confirm that arrived late, held before the disarm reached it) sets no fault: one set then would never
       * be undone, and the biller's later faults belong to later runs.
       */
      let billerRestored = false;
      /** The biller misbehaves from the moment the card is debited (its lookup at the confirmation page went well). */
      function billerFault(f: Extract<Fault, { kind: `biller-${string}` }>): void {
        const atDebited = (act: () => void | Promise<void>) => pauseAt(gateway, GATEWAY_FEE_PREFIX, 'debited', () => {
          if (billerRestored) return;
          took.push(f.kind);
          return act();
        });
        // The nth try of the payment, each journaled `paying` before it is sent.
        const atTry = (n: number, act: () => void | Promise<void>) => pauseAt(gateway, GATEWAY_FEE_PREFIX, 'paying', () => (billerRestored ? undefined : act()), n);
        switch (f.kind) {
          case 'biller-slow':
            return atDebited(() => biller.slow(f.latencyMs));
          case 'biller-too-slow':
            // The first try's answer comes after the gateway gave up; the second try (same id) gets it at once.
            atDebited(() => biller.slow(f.latencyMs));
            return atTry(2, () => biller.slow(0));
          case 'biller-refuse':
            return atDebited(() => biller.refuseNext('account-closed'));
          case 'biller-lost-answer':
            return atDebited(() => biller.loseNextAnswer());
          case 'biller-silent':
            // Applied at the first try and no answer in time at any: the fee waits `paying` until the biller is
            // back after the run (below), and is paid then, never owed back.
            return atDebited(() => biller.slow(f.latencyMs));
          case 'biller-down':
            atDebited(async () => {
              billerDown = true;
              await biller.down();
            });
            if (f.upAtTry !== null) atTry(f.upAtTry, billerUp);
        }
      }
      let cardReturns = true;
      for (const f of s.faults) cardReturns &&= applyFault(f);
      kiosk.member.arm(arms.kiosk);
      gateway.arm(arms.gateway);

      function applyFault(f: Fault): boolean {
        switch (f.kind) {
          case 'kiosk-kill':
            arms.kiosk.push({ ...journalStep(f.step), action: 'freeze' });
            killOnFreeze(kiosk.member);
            return true;
          case 'gateway-kill':
            arms.gateway.push({ ...journalStep(f.step), action: 'freeze', skip: f.nth - 1 });
            killOnFreeze(gateway);
            return true;
          case 'broker-restart':
            onceAt(kiosk.member, f, () => broker.restart());
            return true;
          case 'gateway-stall':
          case 'kiosk-stall': {
            const m = f.kind === 'gateway-stall' ? gateway : kiosk.member;
            onceAt(m, f, () => m.stall(f.stallMs));
            return true;
          }
          case 'card-removed': {
            const tear = () =>
              void field.tear(f, () => torn.push(f)).then(() => {
                // A tear whose card is lifted after the run ended puts nothing back: the next run has the field.
                if (ended || !f.returns) return;
                // The cardholder puts the card back: within the re-present window, or after it (the next tap).
                const timer = setTimeout(() => void field.restore(card), f.returnAfterMs);
                detach.push(() => clearTimeout(timer));
              });
            // A load's INITIALIZE and CREDIT FOR LOAD are armed once its record exists, a collect's once its record
            // does: a card owed pending credits has them written first, and their APDUs must not take the load's tear.
            // A subsidy's or transfer's proof is torn at the second collect: the first makes the credit that applied.
            if (f.flow === 'collect') pauseAt(kiosk.member, 'txn/collect', 'checking', tear, campusRun && f.ins === GET_TRANSACTION_PROVE ? 2 : 1);
            else if (f.flow === 'fee' && f.ins === GET_TRANSACTION_PROVE) {
              // The proof is read only for a torn debit that applied: the card leaves right after applying DEBIT FOR
              // PURCHASE and is put back within the window, where the fee reads its counter and proof.
              pauseAt(kiosk.member, KIOSK_FEES, 'created', () => {
                void field.tear({ ins: DEBIT_FOR_PURCHASE, when: 'after', how: LEAVES[kiosk.field.kind] }).then(() => {
                  const timer = setTimeout(() => void field.restore(card), PUT_BACK_MS);
                  detach.push(() => clearTimeout(timer));
                });
              });
              pauseAt(kiosk.member, KIOSK_FEES, 'torn', tear);
            } else if (f.flow === 'fee') pauseAt(kiosk.member, KIOSK_FEES, 'created', tear);
            else if (f.ins === INITIALIZE_FOR_LOAD || f.ins === CREDIT_FOR_LOAD) pauseAt(kiosk.member, KIOSK_PREFIX, 'created', tear);
            else tear();
            return f.returns;
          }
          case 'biller-slow':
          case 'biller-too-slow':
          case 'biller-refuse':
          case 'biller-down':
          case 'biller-lost-answer':
          case 'biller-silent':
            billerFault(f);
            return true;
          default: {
            // The misbehaviour is set while the gateway waits right after journaling bank-pending, so it meets
            // exactly this load's 0200 (not a sign-on or an echo), or the chosen transfer's of a batch run.
            const [prefix, nth] = s.transfer ? ['gw/transfer', s.transfer.bankFaultAt] : [GATEWAY_PREFIX, 1];
            pauseAt(gateway, prefix, 'bank-pending', () => {
              took.push(f.kind);
              bank.setBehaviour(bankBehaviour(f), { count: 1 });
            }, nth);
            return true;
          }
        }
      }

      if (campusRun) {
        // A gateway killed during the campus side answers nothing; the restart and the run's resumption do the rest.
        await campusSide(s).catch(() => {});
        await Promise.all(restarts);
        await settle(reported);
        // The collect's GET TRANSACTION PROVE is read only for an earlier credit that applied: a first tap whose card
        // leaves right after applying CREDIT FOR LOAD and is not back within the window.
        if (collectTear?.ins === GET_TRANSACTION_PROVE && s.subsidy?.collects !== false) {
          void field.tear({ ins: CREDIT_FOR_LOAD, when: 'after', how: LEAVES[kiosk.field.kind] });
          await field.insert(card);
          await requestCollect(kiosk.member.child, LOAD_LIMIT_MS).catch(() => null);
          await field.remove();
          // A kill armed for the collect may land in this first tap: the tap below meets the restarted kiosk.
          await Promise.all(restarts);
        }
      }
      await field.insert(card);
      // A kiosk killed during the load answers nothing: what it journaled is all that counts now. One that neither
      // answers nor dies has hung with a cardholder in front of it: reported, and restarted so the series goes on.
      const stuck: Violation[] = [];
      // A subsidy's cardholder may not come in this run: it stays outstanding.
      const asked = s.fee ? requestFee(kiosk.member.child, { ...s.fee, amount: s.amount }, LOAD_LIMIT_MS)
        : s.subsidy?.collects === false ? Promise.resolve({ state: 'not collected by its cardholder', code: undefined })
        : campusRun ? requestCollect(kiosk.member.child, LOAD_LIMIT_MS)
        : requestLoad(kiosk.member.child, s.amount, s.pin, LOAD_LIMIT_MS);
      const answer = await asked.catch(async (err: unknown) => {
        if (QuancunError.from(err).code !== 'TXN_STATE') return null;
        stuck.push({ key: `stuck:${s.index}`, rule: 'stuck', detail: `kiosk ${s.kioskId} did not end the ${s.kind} within ${LOAD_LIMIT_MS / 1000} s` });
        await kiosk.member.restart();
        return null;
      });
      // A freeze armed for a step the run never reached must not fire in a later run.
      for (const m of members) m.arm([]);
      await Promise.all(restarts);
      // The cardholder: back with the card if it was pulled away and comes back, or the card stays on the reader
      // while the kiosk recovers; a card that never returns is simply gone for this run.
      if (cardReturns) await field.restore(card);
      else await field.remove();
      // The biller is itself again once the cardholder has gone: a payment it left unanswered is asked again and paid.
      billerRestored = true;
      biller.slow(0);
      await billerUp();
      const view = await settle(reported);
      await Promise.all(restarts);
      for (const d of detach) d();
      bank.setBehaviour({});
      await field.remove();
      const outcome = answer ? (answer.code ? `${answer.state} ${answer.code}` : answer.state) : stuck.length ? 'kiosk hung' : 'kiosk killed';
      return { outcome, violations: [...stuck, ...checkInvariant(view).filter((v) => !reported.has(v.key))], torn, took };
    };

    return { broker, scenarioWorld, run, stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

function bankBehaviour(f: Fault): Partial<BankBehaviour> {
  switch (f.kind) {
    case 'bank-late':
    case 'bank-too-late':
      return { latencyMs: f.latencyMs };
    case 'bank-silent':
      return { silence: true };
    case 'bank-bad-mac':
      return { badMac: true };
    case 'bank-drop':
      return { dropConnection: true };
    default:
      return {};
  }
}

/**
 * The harness's copy of a deployment config: its own data dir and bank profile, each kiosk on its field, bank
 * accounts deep enough and a purse limit high enough for thousands of loads, a short re-present window so an absent
 * card's load settles quickly, and store-and-forward reversals retried within a run's settle time.
 */
function chaosConfig(base: Config, dir: string, profilePath: string, fields: Map<string, KioskField>): Config {
  const config = structuredClone(base) as Config & { limits: Config['limits'] & { rePresentSeconds?: number } };
  config.dataDir = join(dir, 'data');
  config.kiosks = config.kiosks.map((k) => ({ ...k, reader: fields.get(k.id)!.reader }));
  config.banks = config.banks.map((b, i) => (i === 0 ? { ...b, profile: profilePath } : b));
  config.limits = { ...config.limits, purseLimit: 2_000_000_000, rePresentSeconds: RE_PRESENT_SECONDS };
  // Batch runs only when a run asks (no schedule), and quick: a run of every bound card's order within a settle.
  config.transfers = { perSecond: 50 };
  config.reversals = { minMs: 50, maxMs: 400, attentionAfter: 20 };
  const simulation = config.simulation ?? { bankAccounts: [], cards: [] };
  config.simulation = {
    ...simulation,
    // Every account signed the standing agreement (代扣协议): a batch run debits each bound card's.
    bankAccounts: simulation.bankAccounts.map((a) => ({ ...a, balance: 1_000_000_000, standingAgreement: true })),
  };
  return config;
}

/** Each kiosk's field, in config order: `both` alternates sim and pcsc; pcsc kiosks take the vpcd slots in order. */
async function kioskFields(base: Config, o: ChaosOptions): Promise<Map<string, KioskField>> {
  const fields = new Map<string, KioskField>();
  const slots = [...(o.vpcdSlots ?? [])];
  try {
    for (const [i, k] of base.kiosks.entries()) {
      const kind = o.field === 'both' ? (i % 2 === 0 ? 'sim' : 'pcsc') : (o.field ?? 'sim');
      if (kind === 'sim') {
        fields.set(k.id, simField(k.id));
        continue;
      }
      const slot = slots.shift();
      if (!slot) throw new QuancunError('CONFIG_INVALID', `kiosk ${k.id} reads from pcscd but no vpcd slot is left for it (${o.vpcdSlots?.length ?? 0} given)`);
      fields.set(k.id, await pcscField(slot));
    }
  } catch (err) {
    for (const f of fields.values()) await f.stop();
    throw err;
  }
  return fields;
}
