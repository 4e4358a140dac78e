/**
 * The aedes broker in a process of its own, for the chaos harness on machines without Mosquitto: killing it is a
 * broker crash the kiosks and the gateway must ride out. Usage: node --import tsx aedes-process.ts <port>.
 */
import { startEmbeddedBroker } from '../../common/mqtt/embedded-broker.ts';
import { announceReady } from './child-ipc.ts';

const broker = await startEmbeddedBroker({ port: Number(process.argv[2] ?? 0) });
announceReady(`aedes broker on ${broker.url}`, { port: broker.port });
const stop = () => void broker.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
