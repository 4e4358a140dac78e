/**
 * The fleet benchmark's server side, in a process of its own so its CPU is its own: either the gateway itself, or the
 * floor's echo — the same broker connection and the same store backend, answering each raw request after as many
 * synced commits (and a TCP round trip of an ISO 8583 message's size) as the gateway makes for it. Driven over IPC
 * by bench/fleet.ts.
 */
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../../common/config.ts';
import { silentLogger } from '../../common/log.ts';
import type { DurableStore } from '../../common/store/durable-store.ts';
import { Gateway } from '../../gateway/gateway.ts';
import { gatewayStore } from '../../gateway/store/gateway-store.ts';
import { rawMqttClient } from '../raw-mqtt.ts';
import { FLOOR_IDENTITY } from './fleet-broker.ts';
import { FLOOR_REQUESTS, floorResponseTopic, type FloorRequest } from './floor-topics.ts';

export interface ServerStart {
  /** A standby gateway answers the start once it waits for the serving one's store (PostgreSQL only). */
  mode: 'gateway' | 'standby' | 'floor';
  config: unknown;
  configPath: string;
  mqttUrl: string;
  dataDir: string;
  bank: { id: string; host: string; port: number };
  /** The floor's ISO 8583 round trip: a TCP echo. */
  isoEcho: { host: string; port: number };
  /** The floor's identity on the broker (the gateway's is in its config). */
  floorTls: { ca: string; cert: string; key: string };
}

export interface ServerSample {
  cpuMs: number;
  syncedWrites: number;
  rssMb: number;
  /** The main thread's event loop since the process started, busy and idle (its store's threads are not in it). */
  loopActiveMs: number;
  loopIdleMs: number;
}

const ISO_FRAME = 160;

/** One connection to the echo, requests pipelined: the echo answers in order, as a bank link matches answers. */
async function isoEcho(address: { host: string; port: number }): Promise<{ roundTrip(): Promise<void>; close(): void }> {
  const socket = net.connect(address.port, address.host);
  socket.setNoDelay(true);
  await new Promise((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  const waiting: Array<() => void> = [];
  let received = 0;
  socket.on('data', (chunk: Buffer) => {
    received += chunk.length;
    while (received >= ISO_FRAME) {
      received -= ISO_FRAME;
      waiting.shift()!();
    }
  });
  const frame = Buffer.alloc(ISO_FRAME, 0x30);
  return {
    roundTrip: () => new Promise<void>((resolve) => {
      waiting.push(resolve);
      socket.write(frame);
    }),
    close: () => socket.destroy(),
  };
}

async function startFloor(s: ServerStart, store: DurableStore): Promise<() => Promise<void>> {
  await store.open();
  const iso = await isoEcho(s.isoEcho);
  const client = await rawMqttClient(s.mqttUrl, FLOOR_IDENTITY, { ca: Buffer.from(s.floorTls.ca), cert: Buffer.from(s.floorTls.cert), key: Buffer.from(s.floorTls.key) });
  await client.subscribeAsync(FLOOR_REQUESTS, { qos: 1 });
  client.on('message', (topic, payload) => {
    void (async () => {
      const req = JSON.parse(payload.toString()) as FloorRequest;
      for (let i = 0; i < req.writes; i++) await store.batch([{ type: 'put', key: `floor/${req.id}/${i}`, value: { at: Date.now(), payload: req.payload } }]);
      if (req.iso) await iso.roundTrip();
      await client.publishAsync(floorResponseTopic(topic.split('/')[2]!), JSON.stringify({ id: req.id, payload: req.payload }), { qos: 1 });
    })();
  });
  return async () => {
    await client.endAsync();
    iso.close();
    await store.close();
  };
}

let stop: () => Promise<void> = async () => {};
let store: DurableStore | undefined;
/** When this gateway started serving (ms on the machine's clock, performance.timeOrigin + now): a standby's takeover. */
let serving: Promise<number> | undefined;

async function start(s: ServerStart): Promise<void> {
  const loaded = parseConfig(s.config, s.configPath);
  if (s.mode === 'floor') {
    store = gatewayStore(loaded.config, s.dataDir, silentLogger);
    stop = await startFloor(s, store);
    return;
  }
  let waiting!: () => void;
  const standing = new Promise<void>((resolve) => (waiting = resolve));
  const gateway = new Gateway({
    loaded, mqttUrl: s.mqttUrl, log: silentLogger, version: 'bench', dataDir: s.dataDir,
    bankAddresses: new Map([[s.bank.id, { host: s.bank.host, port: s.bank.port }]]),
    standby: s.mode === 'standby', onStandby: () => waiting(),
  });
  serving = gateway.start().then(() => performance.timeOrigin + performance.now());
  await (s.mode === 'standby' ? Promise.race([standing, serving]) : serving);
  store = gateway.store;
  stop = () => gateway.stop();
}

type Command = { type: 'start'; start: ServerStart } | { type: 'serving' } | { type: 'sample' } | { type: 'stop' };

async function handle(c: Command): Promise<unknown> {
  switch (c.type) {
    case 'start':
      return start(c.start);
    case 'serving':
      return { at: await serving };
    case 'sample': {
      const cpu = process.cpuUsage();
      const loop = performance.eventLoopUtilization();
      const sample: ServerSample = {
        cpuMs: (cpu.user + cpu.system) / 1000, syncedWrites: store?.syncedWrites ?? 0, rssMb: process.memoryUsage().rss / 2 ** 20,
        loopActiveMs: loop.active, loopIdleMs: loop.idle,
      };
      return sample;
    }
    case 'stop':
      return stop();
  }
}

process.on('message', (c: Command) => {
  handle(c).then(
    // After a stop the process ends itself, so a --cpu-prof profile is written.
    (answer) => process.send!({ answer: answer ?? {} }, () => c.type === 'stop' && process.exit(0)),
    (err: unknown) => process.send!({ error: String((err as Error).stack ?? err) }),
  );
});
