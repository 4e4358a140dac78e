/**
 * Who may do what on the broker, declared once. The Mosquitto ACL files (deploy/mosquitto/ and the tests' broker) and
 * the embedded broker's authorize hooks are both made from these rules, so the two brokers cannot drift apart.
 *
 * An identity is the client's certificate CN on a TLS listener (Mosquitto `use_identity_as_username`), else its MQTT
 * username; the broker also makes it the client id (`use_username_as_clientid`), so no client can take over another's
 * session. Kiosk ids have no dots, so the dotted identities of gateways, operators and installers are never a kiosk's.
 */
import { ROOT } from './topics.ts';

export type Identity =
  | { role: 'kiosk'; kioskId: string }
  | { role: 'gateway'; name: string }
  | { role: 'operator'; name: string }
  /**
   * An installer's provisioning-only account (`installer.<name>`, a password on the provisioning listener): it may
   * only enrol, on its own pair of enrolment topics (`session` is its identity, which is also its client id).
   */
  | { role: 'provisioning'; session: string };

export type Role = Identity['role'];

const KIOSK_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]{0,47}$/;

/** The identity a broker username (certificate CN) stands for; undefined for one that is none of ours. */
export function identityOf(username: string | undefined): Identity | undefined {
  if (username === undefined) return undefined;
  const [prefix, name, ...rest] = username.split('.');
  if (rest.length === 0 && name !== undefined && NAME.test(name)) {
    if (prefix === 'gateway') return { role: 'gateway', name };
    if (prefix === 'operator') return { role: 'operator', name };
    if (prefix === 'installer') return { role: 'provisioning', session: username };
  }
  return KIOSK_ID.test(username) ? { role: 'kiosk', kioskId: username } : undefined;
}

export const identityName = {
  gateway: (name: string) => `gateway.${name}`,
  operator: (name: string) => `operator.${name}`,
  installer: (name: string) => `installer.${name}`,
};

interface Grants {
  /** Topic filters under the root, `{self}` being the kiosk id or the provisioning session. */
  publish: readonly string[];
  subscribe: readonly string[];
  summary: string;
}

export const grants: Record<Role, Grants> = {
  kiosk: {
    summary: 'its own requests, state, events and command results; its own responses and commands, the gateway\'s state, '
      + 'the announcements for all kiosks and its own',
    publish: ['kiosk/{self}/request/+', 'kiosk/{self}/state', 'kiosk/{self}/event/+', 'kiosk/{self}/command-result/+'],
    subscribe: ['kiosk/{self}/response/+', 'kiosk/{self}/command/+', 'gateway/state', 'announcements/all/+', 'announcements/kiosk/{self}/+'],
  },
  gateway: {
    summary: 'everything under the root: it answers kiosks, sends commands and announcements, enrols boards',
    publish: ['#'],
    subscribe: ['#'],
  },
  operator: {
    // Announcements are written through the gateway's console (role-gated, audited), never published by an operator.
    summary: 'commands to any kiosk; reads kiosk states, events and command results, the gateway\'s state and every announcement',
    publish: ['kiosk/+/command/+'],
    subscribe: ['kiosk/+/command-result/+', 'kiosk/+/state', 'kiosk/+/event/+', 'gateway/state', 'announcements/#'],
  },
  provisioning: {
    summary: 'only its own enrolment request and response',
    publish: ['enrol/{self}/request'],
    subscribe: ['enrol/{self}/response'],
  },
};

function self(identity: Identity): string {
  switch (identity.role) {
    case 'kiosk': return identity.kioskId;
    case 'provisioning': return identity.session;
    default: return identity.name;
  }
}

function filtersFor(identity: Identity, action: 'publish' | 'subscribe'): string[] {
  return grants[identity.role][action].map((f) => `${ROOT}/${f.replace('{self}', self(identity))}`);
}

/** Whether every topic `inner` matches is also matched by `outer` (a topic name is a filter without wildcards). */
export function filterWithin(inner: string, outer: string): boolean {
  const a = inner.split('/');
  const b = outer.split('/');
  for (let i = 0; i < b.length; i++) {
    if (b[i] === '#') return true;
    if (i >= a.length || a[i] === '#') return false;
    if (b[i] !== '+' && a[i] !== b[i]) return false;
  }
  return a.length === b.length;
}

/** A shared subscription `$share/<group>/<filter>` is judged by its filter. */
function unshared(filter: string): string {
  return filter.startsWith('$share/') ? filter.split('/').slice(2).join('/') : filter;
}

export function mayPublish(identity: Identity, topic: string): boolean {
  return filtersFor(identity, 'publish').some((f) => filterWithin(topic, f));
}

export function maySubscribe(identity: Identity, filter: string): boolean {
  const f = unshared(filter);
  return filtersFor(identity, 'subscribe').some((allowed) => filterWithin(f, allowed));
}

/** Whether a message on `topic` may be delivered to `identity` (checked again at delivery, as Mosquitto 2 does). */
export function mayReceive(identity: Identity, topic: string): boolean {
  return filtersFor(identity, 'subscribe').some((f) => filterWithin(topic, f));
}

export interface AclParties {
  /** Identities holding the gateway's or an operator's certificate, as the campus CA issued them. */
  gateways: readonly string[];
  operators: readonly string[];
  /** Kiosks whose certificates were revoked: denied everything (Mosquitto reloads the file on SIGHUP, no restart). */
  revokedKiosks: readonly string[];
}

const header = (what: string) => [`# ${what}`, '# Made by quancun from common/api/access.ts; regenerate it rather than editing it.', ''];

/** The ACL file of the mutual-TLS listener (`use_identity_as_username`: %u is the certificate CN). */
export function mosquittoAcl(parties: AclParties): string {
  const kioskLines = (action: 'publish' | 'subscribe', access: 'write' | 'read') =>
    grants.kiosk[action].map((f) => `pattern ${access} ${ROOT}/${f.replace('{self}', '%u')}`);
  const userLines = (user: string, role: 'gateway' | 'operator') => {
    const g = grants[role];
    const both = g.publish.filter((f) => g.subscribe.includes(f));
    return [
      `user ${user}`,
      ...both.map((f) => `topic readwrite ${ROOT}/${f}`),
      ...g.publish.filter((f) => !both.includes(f)).map((f) => `topic write ${ROOT}/${f}`),
      ...g.subscribe.filter((f) => !both.includes(f)).map((f) => `topic read ${ROOT}/${f}`),
      '',
    ];
  };
  return [
    ...header('Mosquitto ACL for the kiosks\' mutual-TLS listener.'),
    '# Every kiosk, by its certificate CN (%u): ' + grants.kiosk.summary + '.',
    ...kioskLines('publish', 'write'),
    ...kioskLines('subscribe', 'read'),
    '',
    ...parties.gateways.flatMap((u) => userLines(u, 'gateway')),
    ...parties.operators.flatMap((u) => userLines(u, 'operator')),
    ...parties.revokedKiosks.flatMap((k) => [`# ${k} was revoked`, `user ${k}`, `topic deny ${ROOT}/#`, '']),
  ].join('\n');
}

/** The ACL file of the provisioning listener (installers' password accounts; %u is the installer's username). */
export function mosquittoProvisioningAcl(): string {
  const g = grants.provisioning;
  return [
    ...header('Mosquitto ACL for the provisioning listener: ' + g.summary + '.'),
    ...g.publish.map((f) => `pattern write ${ROOT}/${f.replace('{self}', '%u')}`),
    ...g.subscribe.map((f) => `pattern read ${ROOT}/${f.replace('{self}', '%u')}`),
    '',
  ].join('\n');
}
