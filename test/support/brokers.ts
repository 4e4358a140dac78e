/**
 * Every broker integration tests run on: the embedded aedes (MQTT 3.1.1 only) and a real Mosquitto.
 * Usage: `for (const broker of brokers) test(`${broker.name}: ...`, async (t) => { const b = await broker.start(); ... })`.
 */
import { startEmbeddedBroker, type EmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { startMosquitto } from './mosquitto.ts';

export interface TestBroker {
  url: string;
  port: number;
  /** Takes the broker down; `restart()` brings it back. */
  stop(): Promise<void>;
  /** Kills the broker if running and starts a fresh one (no sessions, no retained messages) on the same port. */
  restart(): Promise<void>;
}

export interface BrokerFactory {
  name: 'aedes' | 'mosquitto';
  start(): Promise<TestBroker>;
}

async function startAedes(): Promise<TestBroker> {
  let broker: EmbeddedBroker | undefined = await startEmbeddedBroker();
  const { url, port } = broker;
  const halt = async () => {
    await broker?.close();
    broker = undefined;
  };
  return {
    url,
    port,
    stop: halt,
    async restart() {
      await halt();
      broker = await startEmbeddedBroker({ port });
    },
  };
}

export const brokers: BrokerFactory[] = [
  { name: 'aedes', start: startAedes },
  { name: 'mosquitto', start: startMosquitto },
];
