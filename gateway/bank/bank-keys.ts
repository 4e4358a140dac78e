/**
 * The bank half of the gateway's software key store: one bank's terminal master key and the working keys (PIK, MAK)
 * it delivers at sign-on. Keys go in, MACs and translated PIN blocks come out; no method returns a key.
 */
import { timingSafeEqual } from 'node:crypto';
import { QuancunError } from '../../common/errors.ts';
import { desDecrypt, desEncrypt } from '../../common/crypto/des.ts';
import { keyCheckValue } from '../../common/crypto/key-check.ts';
import { translatePinBlock } from '../../common/crypto/pin-block.ts';
import { computeMac, type MacAlgorithm } from './iso8583/message-mac.ts';
import type { WorkingKeyLayout } from './iso8583/profile.ts';

export interface WorkingKeys {
  pik: Buffer;
  mak: Buffer;
}

/** Field 62 as the bank sends it: each key under the TMK, then its check value. Used by the bank simulator. */
export function wrapWorkingKeys(tmk: Buffer, keys: WorkingKeys, layout: WorkingKeyLayout): Buffer {
  return Buffer.concat(layout.order.flatMap((name) => [desEncrypt(tmk, keys[name]), keyCheckValue(keys[name], layout.checkValueLength)]));
}

/** Opens field 62 and checks every key against its check value; nothing is returned unless all match. */
function unwrapWorkingKeys(tmk: Buffer, field62: Buffer, layout: WorkingKeyLayout): WorkingKeys {
  const step = layout.keyLength + layout.checkValueLength;
  if (field62.length < step * layout.order.length) {
    throw new QuancunError('BANK_PROTOCOL', `field 62 has ${field62.length} bytes, the working keys need ${step * layout.order.length}`);
  }
  const keys: Partial<WorkingKeys> = {};
  layout.order.forEach((name, i) => {
    const at = i * step;
    const key = desDecrypt(tmk, field62.subarray(at, at + layout.keyLength));
    if (!keyCheckValue(key, layout.checkValueLength).equals(field62.subarray(at + layout.keyLength, at + step))) {
      throw new QuancunError('BANK_KEY_INVALID', `the ${name.toUpperCase()} from the bank does not match its check value`, { key: name });
    }
    keys[name] = key;
  });
  return keys as WorkingKeys;
}

export class BankKeys {
  readonly #tmk: Buffer;
  #working: WorkingKeys | null = null;

  constructor(options: { tmk: Buffer }) {
    if (![8, 16, 24].includes(options.tmk.length)) throw new QuancunError('CONFIG_INVALID', 'a terminal master key is 8, 16 or 24 bytes');
    this.#tmk = Buffer.from(options.tmk);
  }

  get hasWorkingKeys(): boolean {
    return this.#working !== null;
  }

  /** Installs the PIK and MAK of sign-on field 62; on any check value mismatch the previous keys stay. */
  installWorkingKeys(field62: Buffer, layout: WorkingKeyLayout): void {
    this.#working = unwrapWorkingKeys(this.#tmk, field62, layout);
  }

  /** At sign-off: no MAC or PIN translation until the next sign-on. */
  dropWorkingKeys(): void {
    this.#working?.pik.fill(0);
    this.#working?.mak.fill(0);
    this.#working = null;
  }

  mac(algorithm: MacAlgorithm, data: Buffer): Buffer {
    return computeMac(algorithm, this.#require().mak, data);
  }

  verifyMac(algorithm: MacAlgorithm, data: Buffer, mac: Buffer): boolean {
    const expected = this.mac(algorithm, data);
    return mac.length === expected.length && timingSafeEqual(mac, expected);
  }

  /** From the kiosk PIN pad's key to this bank's PIK. */
  translatePinIn(kioskPinKey: Buffer, encryptedBlock: Buffer): Buffer {
    return translatePinBlock(kioskPinKey, this.#require().pik, encryptedBlock);
  }

  #require(): WorkingKeys {
    if (!this.#working) throw new QuancunError('BANK_NOT_SIGNED_ON', 'no working keys: the bank has not been signed on');
    return this.#working;
  }
}
