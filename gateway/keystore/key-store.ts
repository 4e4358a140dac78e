/**
 * The gateway's software key store (a software HSM): the only place where issuer master keys, the kiosk PIN
 * master key and the banks' working keys live. It hands out MACs, verdicts and translated PIN blocks, never keys.
 */
import { desEncrypt } from '../../common/crypto/des.ts';
import { keyCheckValue } from '../../common/crypto/key-check.ts';
import { padTransportKey } from '../../common/crypto/pad-keys.ts';
import { QuancunError } from '../../common/errors.ts';
import type { BankKeys } from '../bank/bank-keys.ts';
import { CardKeys, type IssuerMasterKeys } from './card-keys.ts';
import { kioskPinKey } from './kiosk-keys.ts';

export class KeyStore {
  readonly card: CardKeys;
  readonly #pinMasterKey: Buffer;
  readonly #padTransportMasterKey: Buffer | undefined;
  readonly #banks = new Map<string, BankKeys>();

  constructor(options: { issuer: IssuerMasterKeys; pinMasterKey: Buffer; padTransportMasterKey?: Buffer }) {
    this.card = new CardKeys(options.issuer);
    if (options.pinMasterKey.length !== 16) throw new QuancunError('CONFIG_INVALID', 'the kiosk PIN master key must be 16 bytes');
    if (options.padTransportMasterKey && options.padTransportMasterKey.length !== 16) throw new QuancunError('CONFIG_INVALID', 'the pad transport master key must be 16 bytes');
    this.#pinMasterKey = options.pinMasterKey;
    this.#padTransportMasterKey = options.padTransportMasterKey;
  }

  /**
   * A kiosk's PIN key for its pad at enrolment: 3DES-ECB under the pad's transport key (diversified by the pad's
   * serial), and the clear key's 3-byte check value. The clear key never leaves the store.
   */
  pinKeyForPad(terminalId: string, padSerial: string): { underTransportKey: string; checkValue: string } {
    if (!this.#padTransportMasterKey) throw new QuancunError('KEY_MISSING', 'no pad transport master key (issuer.padTransportMasterKey)');
    const pinKey = kioskPinKey(this.#pinMasterKey, terminalId);
    return {
      underTransportKey: desEncrypt(padTransportKey(this.#padTransportMasterKey, padSerial), pinKey).toString('hex').toUpperCase(),
      checkValue: keyCheckValue(pinKey, 3).toString('hex').toUpperCase(),
    };
  }

  addBank(bankId: string, keys: BankKeys): void {
    this.#banks.set(bankId, keys);
  }

  /** From the kiosk PIN pad's key to the bank's PIK, inside the store: the clear PIN block never comes out. */
  translateKioskPin(terminalId: string, bankId: string, encryptedBlock: Buffer): Buffer {
    const bank = this.#banks.get(bankId);
    if (!bank) throw new QuancunError('KEY_MISSING', `no working keys for bank ${bankId}`);
    return bank.translatePinIn(kioskPinKey(this.#pinMasterKey, terminalId), encryptedBlock);
  }
}
