/**
 * The fleet benchmark's kiosks, in a process of their own: each one a real MQTT connection with its own client id
 * (the kiosk's KioskLink: retained state, last will, the request/response API), a simulated reader and a virtual card
 * with its diversified keys, and the PIN block its pad would send. A load is the kiosk's own sequence — read the card,
 * card.lookup, INITIALIZE FOR LOAD, load.authorize, CREDIT FOR LOAD, load.confirm — without its journal or screens:
 * what is measured is the gateway's side. The floor's loads are raw request/response round trips on the same
 * connections. Driven over IPC by bench/fleet.ts.
 */
import { once } from 'node:events';
import { toHex } from '../../common/bytes.ts';
import { parseConfig } from '../../common/config.ts';
import { encryptPinBlock, pinBlockFormat0 } from '../../common/crypto/pin-block.ts';
import { QuancunError } from '../../common/errors.ts';
import { pinPadKeyFor } from '../../provisioning/pin-key-injection.ts';
import { CAMPUS_CARD_PROFILE } from '../../runtime/card/card-profile.ts';
import { creditForLoad, initializeForLoad } from '../../runtime/card/purse.ts';
import { openCardSession } from '../../runtime/flows/card-session.ts';
import { confirmCredit, LOAD_KEY_INDEX } from '../../runtime/flows/settle-credit.ts';
import { KioskLink } from '../../runtime/link/kiosk-link.ts';
import { issueSimulationCards } from '../../sim/card/config-cards.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import type { VirtualCard } from '../../sim/card/virtual-card.ts';
import type { TlsMaterial } from '../../common/mqtt/tls-files.ts';
import { CampusCa } from '../../gateway/ca/campus-ca.ts';
import type { FleetMember } from './fleet-config.ts';
import { clientTls } from './fleet-broker.ts';
import { floorRequestTopic, floorResponseTopic, type FloorRequest } from './floor-topics.ts';

export type FleetCommand =
  | { type: 'connect'; mqttUrl: string; caDir: string; config: unknown; configPath: string; members: FleetMember[] }
  | { type: 'online' }
  | { type: 'step'; mode: 'load' | 'floor'; rate: number; seconds: number; amount: number; floorWrites: number }
  | { type: 'stop' };

export interface StepReport {
  offered: number;
  completed: number;
  /** A load due when every kiosk was busy: not offered to the gateway, and the step not sustained. */
  noIdleKiosk: number;
  failed: Record<string, number>;
  /** From each load's due time (not when it could start), so a backlog shows as latency. */
  latencyMs: number[];
  elapsedMs: number;
  fleetCpuMs: number;
}

const REQUEST_TIMEOUT_MS = 30_000;
/** The size of a real load.authorize envelope, so the floor's messages weigh what a load's do. */
const FLOOR_PAYLOAD = 'x'.repeat(420);

class BenchKiosk {
  busy = false;
  #seq = 0;
  readonly link: KioskLink;
  readonly #reader = new SimCardReader();
  readonly #floorAnswers = new Map<string, () => void>();

  constructor(
    readonly member: FleetMember, private readonly card: VirtualCard, private readonly pinKey: Buffer, mqttUrl: string, tls: TlsMaterial, private readonly timeZone: string,
  ) {
    this.link = new KioskLink({ url: mqttUrl, kioskId: member.kioskId, version: 'bench', requestTimeoutMs: REQUEST_TIMEOUT_MS, tls });
  }

  async start(): Promise<void> {
    const connected = once(this.link, 'connected');
    await this.link.start();
    await connected;
    const client = this.link.client!;
    client.on('message', (topic, payload) => {
      if (topic !== floorResponseTopic(this.member.kioskId)) return;
      const id = (JSON.parse(payload.toString()) as { id: string }).id;
      this.#floorAnswers.get(id)?.();
    });
    await client.subscribeAsync(floorResponseTopic(this.member.kioskId), { qos: 1 });
  }

  /** The kiosk's load, step by step as runtime/flows/load/load-flow.ts takes them. */
  async load(amount: number): Promise<void> {
    this.#reader.insert(this.card);
    const session = await openCardSession(this.#reader, this.link, CAMPUS_CARD_PROFILE, this.timeZone);
    try {
      const pinBlock = encryptPinBlock(this.pinKey, pinBlockFormat0(this.member.pin, session.account.pinPan12!));
      const init = await initializeForLoad(session.channel, { keyIndex: LOAD_KEY_INDEX, amount, terminalId: Buffer.from(this.member.terminalId, 'hex') });
      const txnId = `${this.member.kioskId}-${String(++this.#seq).padStart(8, '0')}`;
      const auth = await this.link.request('load.authorize', {
        txnId, asn: session.asn, amount, terminalId: this.member.terminalId, pinBlock: toHex(pinBlock),
        card: { oldBalance: init.oldBalance, onlineCounter: init.onlineCounter, keyVersion: init.keyVersion, algId: init.algId, random: toHex(init.random), mac1: toHex(init.mac1) },
      });
      const written = await creditForLoad(session.channel, { date: Buffer.from(auth.hostDate, 'hex'), time: Buffer.from(auth.hostTime, 'hex'), mac2: Buffer.from(auth.mac2, 'hex') });
      if (written.decision !== 'applied') throw written.error;
      const verified = await confirmCredit(this.link, { txnId, tac: toHex(written.value), newBalance: init.oldBalance + amount, onlineCounter: init.onlineCounter });
      if (!verified) throw new QuancunError('CARD_TAC_INVALID', 'the gateway found the TAC bad');
    } finally {
      await session.channel.close();
      this.#reader.remove();
    }
  }

  /** The floor's load: three raw QoS 1 round trips to bench/fleet/gateway-child.ts's echo; the second and third each make half the gateway's synced writes. */
  async floorLoad(writes: number): Promise<void> {
    const client = this.link.client!;
    const split = [0, Math.ceil(writes / 2), Math.floor(writes / 2)];
    for (const [step, w] of split.entries()) {
      const id = `${this.member.kioskId}-${++this.#seq}`;
      const answered = new Promise<void>((resolve) => this.#floorAnswers.set(id, resolve));
      const request: FloorRequest = { id, writes: w, iso: step === 1, payload: FLOOR_PAYLOAD };
      await client.publishAsync(floorRequestTopic(this.member.kioskId), JSON.stringify(request), { qos: 1 });
      await answered;
      this.#floorAnswers.delete(id);
    }
  }
}

let kiosks: BenchKiosk[] = [];

async function connect(c: Extract<FleetCommand, { type: 'connect' }>): Promise<{ connected: number; ms: number }> {
  const loaded = parseConfig(c.config, c.configPath);
  const cards = issueSimulationCards(loaded.config);
  const start = performance.now();
  // Each kiosk's certificate (CN = its id) from the campus CA, as enrolment would have issued it.
  const ca = await CampusCa.open(c.caDir);
  const tls = await Promise.all(c.members.map((m) => clientTls(ca, m.kioskId)));
  kiosks = c.members.map((m, i) => new BenchKiosk(m, cards.get(m.asn)!, pinPadKeyFor(loaded.config, m.terminalId), c.mqttUrl, tls[i]!, loaded.config.campus.timeZone));
  // A few hundred connection handshakes at a time, as a campus's kiosks come back after a broker restart.
  for (let i = 0; i < kiosks.length; i += 200) await Promise.all(kiosks.slice(i, i + 200).map((k) => k.start()));
  return { connected: kiosks.filter((k) => k.link.client?.connected).length, ms: performance.now() - start };
}

/** Resolves when every kiosk sees the gateway online (it announces itself retained; a new gateway process again). */
async function allOnline(): Promise<number> {
  await Promise.all(kiosks.map((k) => (k.link.online ? undefined : once(k.link, 'online'))));
  return kiosks.length;
}

/** Open loop: loads are due at `rate` per second whatever happened to the earlier ones, each on a kiosk that is idle. */
async function step(c: Extract<FleetCommand, { type: 'step' }>): Promise<StepReport> {
  const report: StepReport = { offered: 0, completed: 0, noIdleKiosk: 0, failed: {}, latencyMs: [], elapsedMs: 0, fleetCpuMs: 0 };
  const total = Math.round(c.rate * c.seconds);
  const idle = kiosks.filter((k) => !k.busy);
  const running = new Set<Promise<void>>();
  const cpu = process.cpuUsage();
  const start = performance.now();
  const launch = (due: number) => {
    const kiosk = idle.shift();
    if (!kiosk) {
      report.noIdleKiosk++;
      return;
    }
    kiosk.busy = true;
    report.offered++;
    const run = (c.mode === 'load' ? kiosk.load(c.amount) : kiosk.floorLoad(c.floorWrites)).then(
      () => {
        report.completed++;
        report.latencyMs.push(performance.now() - due);
      },
      (err: unknown) => {
        // By code, and by the request that failed when there was one: a failover's losses show where they happen.
        const { code, details } = QuancunError.from(err);
        const key = typeof details?.op === 'string' ? `${code} (${details.op})` : code;
        report.failed[key] = (report.failed[key] ?? 0) + 1;
      },
    ).finally(() => {
      kiosk.busy = false;
      idle.push(kiosk);
      running.delete(run);
    });
    running.add(run);
  };
  let launched = 0;
  await new Promise<void>((resolve) => {
    const tick = () => {
      const now = performance.now();
      const due = Math.min(total, Math.floor(((now - start) / 1000) * c.rate));
      for (; launched < due; launched++) launch(start + (launched / c.rate) * 1000);
      if (launched >= total) resolve();
      else setTimeout(tick, 2);
    };
    tick();
  });
  await Promise.all(running);
  report.elapsedMs = performance.now() - start;
  const used = process.cpuUsage(cpu);
  report.fleetCpuMs = (used.user + used.system) / 1000;
  return report;
}

async function handle(c: FleetCommand): Promise<unknown> {
  switch (c.type) {
    case 'connect':
      return connect(c);
    case 'online':
      return { online: await allOnline() };
    case 'step':
      return step(c);
    case 'stop':
      await Promise.all(kiosks.map((k) => k.link.stop()));
      return {};
  }
}

process.on('message', (c: FleetCommand) => {
  handle(c).then(
    (answer) => process.send!({ answer }, () => c.type === 'stop' && process.exit(0)),
    (err: unknown) => process.send!({ error: String((err as Error).stack ?? err) }),
  );
});
