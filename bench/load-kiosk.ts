/**
 * The kiosk half of bench/load.ts, in its own process so its resident memory is the kiosk's alone: a Kiosk with the
 * simulated reader and PIN pad, the virtual card (diversified keys only) and a LevelDB journal on disk. It measures
 * the end-to-end load and the floor it can see (raw APDU and raw MQTT round trips) and reports over IPC.
 */
import { once } from 'node:events';
import { silentLogger } from '../common/log.ts';
import { Kiosk } from '../runtime/kiosk.ts';
import { getBalance, selectPurse } from '../runtime/card/purse.ts';
import { CAMPUS_CARD_PROFILE } from '../runtime/card/card-profile.ts';
import { SimCardReader } from '../sim/card/sim-reader.ts';
import { createSimPinPad } from '../sim/pin-pad/sim-pin-pad.ts';
import { VirtualCard, type VirtualCardState } from '../sim/card/virtual-card.ts';
import type { CardDevice } from '../sim/card/card-device.ts';
import { nextMessage, rawMqttClient } from './raw-mqtt.ts';

export interface KioskBenchRequest {
  mqttUrl: string;
  dataDir: string;
  kioskId: string;
  terminalId: string;
  pinKey: string;
  pin: string;
  card: VirtualCardState;
  amount: number;
  warmup: number;
  loads: number;
  floorSamples: number;
}

export interface KioskBenchReport {
  loadMs: number[];
  apdusPerLoad: number;
  mqttRequestsPerLoad: number;
  journalWritesPerLoad: number;
  /** Time the kiosk waited for its synced writes, per load. */
  journalWriteMsPerLoad: number;
  apduRttMs: number;
  mqttRttMs: number;
  rss: { idleMb: number; duringMaxMb: number; afterMb: number };
  /** After the loads and a GC: what of the RSS is V8's heap, and what its buffers outside it. */
  heap: { usedMb: number; totalMb: number; externalMb: number };
  completed: number;
  /** The card as it is after the run, for a next run to go on from. */
  card: VirtualCardState;
}

const mb = () => process.memoryUsage().rss / 2 ** 20;
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Counts the APDUs the card answers: the device side, so nothing in the kiosk is instrumented. */
class CountingCard implements CardDevice {
  apdus = 0;
  constructor(private readonly card: VirtualCard) {}
  get atr(): Buffer {
    return this.card.atr;
  }
  reset(): void {
    this.card.reset();
  }
  transmit(apdu: Buffer): Buffer {
    this.apdus++;
    return this.card.transmit(apdu);
  }
}

async function run(req: KioskBenchRequest): Promise<KioskBenchReport> {
  const reader = new SimCardReader();
  const { pinPad, keypad } = createSimPinPad({ key: req.pinKey });
  const kiosk = new Kiosk({ id: req.kioskId, terminalId: req.terminalId, mqttUrl: req.mqttUrl, dataDir: req.dataDir, version: 'bench', reader, pinPad, log: silentLogger });
  const online = once(kiosk.link, 'online');
  await kiosk.start();
  await online;
  keypad.on('entry', () => {
    keypad.type(req.pin);
    keypad.enter();
  });
  let mqttRequests = 0;
  const request = kiosk.link.request.bind(kiosk.link);
  kiosk.link.request = ((...args: Parameters<typeof request>) => {
    mqttRequests++;
    return request(...args);
  }) as typeof request;

  global.gc?.();
  const idleMb = mb();
  const virtualCard = new VirtualCard(req.card);
  const card = new CountingCard(virtualCard);
  const loadMs: number[] = [];
  let duringMaxMb = 0;
  let completed = 0;
  for (let i = 0; i < req.warmup + req.loads; i++) {
    if (i === req.warmup) card.apdus = mqttRequests = kiosk.journal.store.syncedWrites = kiosk.journal.store.syncedWriteMs = 0;
    reader.insert(card);
    const start = performance.now();
    const session = await kiosk.openSession();
    const outcome = await kiosk.load(session, req.amount);
    const elapsed = performance.now() - start;
    await session.channel.close();
    reader.remove();
    if (outcome.state !== 'completed') throw new Error(`load ${outcome.txnId} ended ${outcome.state} (${outcome.code})`);
    if (i >= req.warmup) {
      loadMs.push(elapsed);
      completed++;
    }
    duringMaxMb = Math.max(duringMaxMb, mb());
  }
  const apdusPerLoad = card.apdus / req.loads;
  const mqttRequestsPerLoad = mqttRequests / req.loads;
  const journalWritesPerLoad = kiosk.journal.store.syncedWrites / req.loads;
  const journalWriteMsPerLoad = kiosk.journal.store.syncedWriteMs / req.loads;

  // Floor 1: the same reader and card, one raw APDU (GET BALANCE) per round trip.
  reader.insert(card);
  const channel = await reader.connect();
  await selectPurse(channel, CAMPUS_CARD_PROFILE);
  const apduStart = performance.now();
  for (let i = 0; i < req.floorSamples; i++) await getBalance(channel);
  const apduRttMs = (performance.now() - apduStart) / req.floorSamples;
  await channel.close();
  reader.remove();

  // Floor 2: raw QoS 1 round trips through the same broker to bench/load.ts's echo (the gateway's side of a request).
  const client = await rawMqttClient(req.mqttUrl, `${req.kioskId}-bench`);
  await client.subscribeAsync('bench/pong', { qos: 1 });
  const rtts: number[] = [];
  for (let i = 0; i < req.floorSamples; i++) {
    const pong = nextMessage(client);
    const start = performance.now();
    await client.publishAsync('bench/ping', String(i), { qos: 1 });
    await pong;
    rtts.push(performance.now() - start);
  }
  await client.endAsync();
  global.gc?.();
  const afterMb = mb();
  const m = process.memoryUsage();
  const heap = { usedMb: m.heapUsed / 2 ** 20, totalMb: m.heapTotal / 2 ** 20, externalMb: m.external / 2 ** 20 };
  await kiosk.stop();
  return { loadMs, apdusPerLoad, mqttRequestsPerLoad, journalWritesPerLoad, journalWriteMsPerLoad, apduRttMs, mqttRttMs: mean(rtts), rss: { idleMb, duringMaxMb, afterMb }, heap, completed, card: virtualCard.state() };
}

process.once('message', (req: KioskBenchRequest) => {
  run(req).then(
    (report) => process.send!({ report }, () => process.exit(0)),
    (err: unknown) => process.send!({ error: String((err as Error).stack ?? err) }, () => process.exit(1)),
  );
});
