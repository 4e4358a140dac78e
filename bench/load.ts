/**
 * End-to-end load time against its floor, and the kiosk's memory, from one run. This process holds the embedded
 * broker, the bank simulator (zero latency) and the gateway; the kiosk runs in a child process (bench/load-kiosk.ts)
 * so its RSS is its own. The floor is what the load cannot avoid: as many raw APDU round trips through the reader,
 * raw MQTT round trips through the broker and ISO 8583 round trips over TCP as one load makes, each measured here.
 * Run: npx tsx bench/load.ts [loads=200]
 */
import { fork } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../common/config.ts';
import { silentLogger } from '../common/log.ts';
import { startEmbeddedSystem } from '../sim/embedded-system.ts';
import { pinPadKeyFor } from '../provisioning/pin-key-injection.ts';
import type { KioskBenchReport, KioskBenchRequest } from './load-kiosk.ts';
import { percentile, tcpEcho } from './measure.ts';
import { rawMqttClient } from './raw-mqtt.ts';

const LOADS = Number(process.argv[2] ?? 200);
const WARMUP = 20;
const FLOOR_SAMPLES = 500;
const RATIO_TARGET = 1.3;
const RSS_TARGET_MB = 80;
/**
 * The flags a board runs the kiosk with (Dockerfile.arm): V8's young generation is 16 MB per semi-space by default and
 * its old space grows freely; a kiosk allocates little (about 20 MB live) and needs no pool of GC helper threads.
 */
const TUNED_FLAGS = ['--max-semi-space-size=1', '--max-old-space-size=40', '--v8-pool-size=0'];
// 张三 in config/embedded.json: bound to a bank account with 5000.00, card PIN and bank PIN 123456.
const ASN = '31030000002023010001';
const PIN = '123456';
const AMOUNT = 100;

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** ISO 8583 floor: one framed message of a 0200's size over loopback TCP to an echo, per round trip. */
async function isoRoundTripMs(frameBytes: number, samples: number): Promise<number> {
  const server = await tcpEcho();
  const socket = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  socket.setNoDelay(true);
  await once(socket, 'connect');
  const frame = Buffer.alloc(frameBytes, 0x30);
  frame.writeUInt16BE(frameBytes - 2);
  const start = performance.now();
  for (let i = 0; i < samples; i++) {
    let got = 0;
    const echoed = new Promise<void>((resolve) => {
      const onData = (chunk: Buffer) => {
        got += chunk.length;
        if (got < frameBytes) return;
        socket.off('data', onData);
        resolve();
      };
      socket.on('data', onData);
    });
    socket.write(frame);
    await echoed;
  }
  const ms = (performance.now() - start) / samples;
  socket.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return ms;
}

async function main(): Promise<void> {
  const loaded = loadConfig(fileURLToPath(new URL('../config/embedded.json', import.meta.url)));
  const dataDir = await mkdtemp(join(tmpdir(), 'quancun-bench-'));
  const system = await startEmbeddedSystem({ loaded, log: silentLogger, dataDir, kioskIds: [] });
  try {
    // The gateway's side of the raw MQTT floor: answer every ping with a pong, QoS 1 both ways.
    const echo = await rawMqttClient(system.mqttUrl, 'bench-echo');
    await echo.subscribeAsync('bench/ping', { qos: 1 });
    echo.on('message', (_topic, payload) => void echo.publish('bench/pong', payload, { qos: 1 }));

    const kioskConfig = loaded.config.kiosks[0]!;
    let card = system.cards.get(ASN)!.state();
    const runKiosk = async (nodeFlags: string[]) => {
      const request: KioskBenchRequest = {
        mqttUrl: system.mqttUrl, dataDir, kioskId: kioskConfig.id, terminalId: kioskConfig.terminalId.toUpperCase(),
        pinKey: pinPadKeyFor(loaded.config, kioskConfig.terminalId).toString('hex'), pin: PIN,
        card, amount: AMOUNT, warmup: WARMUP, loads: LOADS, floorSamples: FLOOR_SAMPLES,
      };
      const transfers = () => system.bank.log.filter((e) => e.mti === '0200').length;
      const store = system.gateway.store;
      const [transfersBefore, gatewayWritesBefore, gatewayWriteMsBefore] = [transfers(), store.syncedWrites, store.syncedWriteMs];
      // The kiosk runs compiled, as on a board (`npm run build`): through tsx it would carry the transpiler's memory.
      const child = fork(fileURLToPath(new URL('../dist/bench/load-kiosk.js', import.meta.url)), { execArgv: ['--expose-gc', ...nodeFlags], stdio: 'inherit' });
      child.send(request);
      const [answer] = (await once(child, 'message')) as [{ report?: KioskBenchReport; error?: string }];
      if (!answer.report) throw new Error(`kiosk process failed: ${answer.error}`);
      card = answer.report.card;
      const runs = WARMUP + LOADS;
      return {
        ...answer.report, isoPerLoad: (transfers() - transfersBefore) / runs,
        gatewayWritesPerLoad: (store.syncedWrites - gatewayWritesBefore) / runs, gatewayWriteMsPerLoad: (store.syncedWriteMs - gatewayWriteMsBefore) / runs,
      };
    };
    const r = await runKiosk([]);
    const tuned = await runKiosk(TUNED_FLAGS);
    await echo.endAsync();

    const isoRttMs = await isoRoundTripMs(160, FLOOR_SAMPLES);
    const floorMs = r.apdusPerLoad * r.apduRttMs + r.mqttRequestsPerLoad * r.mqttRttMs + r.isoPerLoad * isoRttMs;
    const writes = r.journalWritesPerLoad + r.gatewayWritesPerLoad;
    const loadMean = mean(r.loadMs);
    const ratio = loadMean / floorMs;
    // What the kiosk and the gateway waited for their synced writes, as they happened in these loads.
    const writeMs = r.journalWriteMsPerLoad + r.gatewayWriteMsPerLoad;
    const ratioWithJournal = loadMean / (floorMs + writeMs);
    const f = (n: number, d = 2) => n.toFixed(d);
    const rss = (x: typeof r) => `idle ${f(x.rss.idleMb, 1)} MB, during loads max ${f(x.rss.duringMaxMb, 1)} MB, after ${f(x.rss.afterMb, 1)} MB`;
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(`load benchmark: ${r.completed} loads of ${f(AMOUNT / 100)} after ${WARMUP} warm-up, bank simulator at zero latency, node ${process.version}`);
    console.log(`  end-to-end load    mean ${f(loadMean)} ms, p50 ${f(percentile(r.loadMs, 50))} ms, p99 ${f(percentile(r.loadMs, 99))} ms`);
    console.log(`  floor              ${f(floorMs)} ms = ${f(r.apdusPerLoad, 1)} APDU x ${f(r.apduRttMs, 3)} ms + ${f(r.mqttRequestsPerLoad, 1)} MQTT x ${f(r.mqttRttMs, 3)} ms + ${f(r.isoPerLoad, 1)} ISO 8583 x ${f(isoRttMs, 3)} ms`);
    console.log(`  ratio              ${f(ratio)} (target <= ${RATIO_TARGET}) ${verdict(ratio <= RATIO_TARGET)}`);
    console.log(`  synced writes      ${f(writes, 1)} per load (kiosk ${f(r.journalWritesPerLoad, 1)}, gateway ${f(r.gatewayWritesPerLoad, 1)}), waited for ${f(writeMs)} ms per load (kiosk ${f(r.journalWriteMsPerLoad)}, gateway ${f(r.gatewayWriteMsPerLoad)})`);
    console.log(`  ratio to floor + synced writes  ${f(ratioWithJournal)}`);
    console.log(`  kiosk RSS          ${rss(r)} (target <= ${RSS_TARGET_MB} MB) ${verdict(r.rss.duringMaxMb <= RSS_TARGET_MB)}`);
    console.log(`  kiosk RSS ${TUNED_FLAGS.join(' ')}  ${rss(tuned)}, load mean ${f(mean(tuned.loadMs))} ms ${verdict(tuned.rss.duringMaxMb <= RSS_TARGET_MB)}`);
    console.log(`  kiosk V8 heap      used ${f(r.heap.usedMb, 1)} MB of ${f(r.heap.totalMb, 1)} MB, external ${f(r.heap.externalMb, 1)} MB (after the loads and a GC)`);
    console.log(JSON.stringify({
      loads: r.completed, loadMeanMs: loadMean, floorMs, ratio, ratioWithJournal, writeMs, isoRttMs,
      apdusPerLoad: r.apdusPerLoad, apduRttMs: r.apduRttMs, mqttRequestsPerLoad: r.mqttRequestsPerLoad, mqttRttMs: r.mqttRttMs,
      isoPerLoad: r.isoPerLoad, journalWritesPerLoad: r.journalWritesPerLoad, gatewayWritesPerLoad: r.gatewayWritesPerLoad,
      rss: r.rss, rssTuned: tuned.rss, heap: r.heap,
    }));
  } finally {
    await system.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

await main();
