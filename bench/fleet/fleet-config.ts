/**
 * The campus the fleet benchmark serves: config/embedded.json's issuer, bank and limits, with `kiosks` kiosks and as
 * many cardholders, each with a card, a bound bank account and a PIN. Generated, so no config file lists thousands.
 */
import { parseConfig, type Config, type LoadedConfig } from '../../common/config.ts';

export interface FleetMember {
  kioskId: string;
  terminalId: string;
  asn: string;
  pan: string;
  pin: string;
}

const PIN = '123456';

/** The Luhn check digit a bank's PAN ends with. */
function luhn(digits: string): string {
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 0) d = d * 2 > 9 ? d * 2 - 9 : d * 2;
    sum += d;
  }
  return String((10 - (sum % 10)) % 10);
}

export function fleetMembers(kiosks: number): FleetMember[] {
  return Array.from({ length: kiosks }, (_, i) => {
    const n = String(i + 1).padStart(6, '0');
    return { kioskId: `F${n}`, terminalId: `000000${n}`, asn: `31030000009000${n}`, pan: `621700009900${n}${luhn(`621700009900${n}`)}`, pin: PIN };
  });
}

/** `base`: config/embedded.json as loaded; its kiosks, cardholders and simulated accounts are replaced. */
export function fleetConfig(base: LoadedConfig, members: FleetMember[], store: Config['store'], mqtt: { url: string; tls: { ca: string; cert: string; key: string } }): LoadedConfig {
  const c = structuredClone(base.config);
  const bankId = c.banks[0]!.id;
  const raw = {
    ...c,
    store,
    mqtt: { ...c.mqtt, ...mqtt },
    // The console and the transfer schedule are not what is measured; the broker is the benchmark's Mosquitto.
    console: undefined,
    kiosks: members.map((m) => ({ id: m.kioskId, terminalId: m.terminalId, campus: c.kiosks[0]!.campus })),
    cardholders: members.map((m) => ({ campusAccount: m.asn.slice(-10), name: '学生', staffNo: m.asn.slice(-10), asn: m.asn, bankId, bankPan: m.pan })),
    simulation: {
      ...c.simulation,
      bankAccounts: members.map((m) => ({ bankId, pan: m.pan, balance: 100_000_000, pin: m.pin })),
      cards: members.map((m) => ({ asn: m.asn, balance: 0, pin: m.pin })),
    },
  };
  return parseConfig(raw, base.path);
}
