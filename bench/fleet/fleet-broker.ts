/**
 * The fleet benchmark's Mosquitto as a campus deploys it (deploy/mosquitto/): mutual TLS with certificates of a campus
 * CA, each kiosk's CN its identity, the ACL from common/api/access.ts (a kiosk publishes and reads only its own
 * topics) — plus the floor's raw topics, each kiosk's own too. The kiosks' and the gateway's TLS costs are then in
 * the figures, as on a campus.
 */
import type { ChildProcess } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mosquittoAcl } from '../../common/api/access.ts';
import type { TlsMaterial } from '../../common/mqtt/tls-files.ts';
import { CampusCa } from '../../gateway/ca/campus-ca.ts';
import { launchMosquitto } from '../../sim/broker/mosquitto-process.ts';

export const GATEWAY_IDENTITY = 'gateway.fleet';
export const FLOOR_IDENTITY = 'gateway.floor';

export interface FleetBroker {
  url: string;
  /** The campus CA's folder: the kiosks' process issues its kiosks' certificates from it, as enrolment would. */
  caDir: string;
  /** The gateway's files, for its config's `mqtt.tls`. */
  gatewayFiles: { ca: string; cert: string; key: string };
  floorTls: TlsMaterial;
  process: ChildProcess;
}

/** A certificate and key of `ca` for `identity`, as a process's TlsMaterial. */
export async function clientTls(ca: CampusCa, identity: string): Promise<TlsMaterial> {
  const issued = await ca.issueClient(identity);
  return { ca: Buffer.from(ca.certPem), cert: Buffer.from(issued.certPem), key: Buffer.from(issued.keyPem), identity, validTo: new Date(Date.now() + 86_400_000) };
}

export async function startFleetBroker(dir: string, port: number): Promise<FleetBroker> {
  const ca = await CampusCa.create(join(dir, 'ca'), 'quancun fleet benchmark CA');
  const server = await ca.issueServer('127.0.0.1', ['localhost']);
  const gateway = await ca.issueClient(GATEWAY_IDENTITY);
  const file = (name: string) => join(dir, name);
  // A copy outside the CA's own folder, which only its owner may enter.
  await writeFile(file('ca.crt'), ca.certPem);
  await writeFile(file('broker-chain.crt'), server.certPem + ca.certPem);
  await writeFile(file('broker.key'), server.keyPem, { mode: 0o600 });
  await writeFile(file('gateway.crt'), gateway.certPem);
  await writeFile(file('gateway.key'), gateway.keyPem, { mode: 0o600 });
  const acl = [
    mosquittoAcl({ gateways: [GATEWAY_IDENTITY], operators: [], revokedKiosks: [] }),
    '# The fleet benchmark\'s floor: each kiosk its own raw topics, and the floor\'s echo all of them.',
    'pattern write bench/floor/%u/request',
    'pattern read bench/floor/%u/response',
    `user ${FLOOR_IDENTITY}`,
    'topic read bench/floor/+/request',
    'topic write bench/floor/+/response',
    '',
  ].join('\n');
  await writeFile(file('broker.acl'), acl);
  const process = await launchMosquitto(port, { secure: { caFile: file('ca.crt'), certFile: file('broker-chain.crt'), keyFile: file('broker.key'), aclFile: file('broker.acl') } });
  return {
    url: `mqtts://127.0.0.1:${port}`, caDir: ca.dir, process,
    gatewayFiles: { ca: file('ca.crt'), cert: file('gateway.crt'), key: file('gateway.key') },
    floorTls: await clientTls(ca, FLOOR_IDENTITY),
  };
}
