/**
 * One connection per configured bank: its ISO 8583 profile, its terminal master key in the key store, and the
 * TCP link. Banks are independent: one slow or absent bank holds up no other.
 */
import { existsSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import type { BankConfig } from '../common/config.ts';
import { nearest } from '../common/config-errors.ts';
import { QuancunError } from '../common/errors.ts';
import type { Logger } from '../common/log.ts';
import { loadBankProfile } from './bank/iso8583/profile.ts';
import { BankKeys } from './bank/bank-keys.ts';
import { BankLink, type LinkMessage } from './bank/bank-link.ts';
import type { StanCounter } from './bank/stan-counter.ts';
import type { KeyStore } from './keystore/key-store.ts';

export interface BankConnection {
  id: string;
  link: BankLink;
  /** The bank terminal's STAN counter: the link's own messages count on it, and so do the transfers sent on it. */
  stans: StanCounter;
  terminalId: string;
  merchantId: string;
}

const PROFILE_DIR = resolve(import.meta.dirname, 'bank/profiles');

/** The ids of the profiles shipped in gateway/bank/profiles/. */
function shippedBankProfiles(): string[] {
  return readdirSync(PROFILE_DIR).filter((f) => f.endsWith('.json')).map((f) => f.slice(0, -'.json'.length)).sort();
}

/**
 * A profile is named by id (a shipped profile) or by a path to a JSON file. One that is not there is CONFIG_INVALID
 * naming the file looked for and the shipped ones: a newcomer's typo, or a custom profile's wrong path.
 */
export function bankProfilePath(profile: string): string {
  const path = /[/\\]|\.json$/.test(profile) ? resolve(profile) : resolve(PROFILE_DIR, `${profile}.json`);
  if (existsSync(path)) return path;
  const shipped = shippedBankProfiles();
  const near = nearest(profile, shipped);
  throw new QuancunError(
    'CONFIG_INVALID',
    `no bank profile "${profile}": ${path} does not exist${near ? ` (did you mean "${near}"?)` : ''}; the shipped profiles are ${shipped.join(', ')}, or give the path of a profile file`,
    { path, profile, shipped },
  );
}

export function createBankConnection(
  bank: BankConfig, keyStore: KeyStore, stans: StanCounter, log: Logger, address?: { host: string; port: number },
  onMessage?: (message: LinkMessage) => void,
): BankConnection {
  const profile = loadBankProfile(bankProfilePath(bank.profile));
  const keys = new BankKeys({ tmk: Buffer.from(bank.tmk, 'hex') });
  keyStore.addBank(bank.id, keys);
  const link = new BankLink({
    profile,
    keys,
    host: address?.host ?? bank.host,
    port: address?.port ?? bank.port,
    ...(bank.localAddress ? { localAddress: bank.localAddress } : {}),
    terminalId: bank.terminalId,
    merchantId: bank.merchantId,
    stanStore: stans,
    log: log.child({ bank: bank.id }),
    ...(onMessage ? { onMessage } : {}),
  });
  return { id: bank.id, link, stans, terminalId: bank.terminalId, merchantId: bank.merchantId };
}
