/**
 * The gateway's software key store (a software HSM): the only place where issuer master keys, the kiosk PIN
 * master key and the banks' working keys live. It hands out MACs, verdicts and translated PIN blocks, never keys.
 */
import { QuancunError } from '../../common/errors.ts';
import type { BankKeys } from '../bank/bank-keys.ts';
import { CardKeys, type IssuerMasterKeys } from './card-keys.ts';
import { kioskPinKey } from './kiosk-keys.ts';

export class KeyStore {
  readonly card: CardKeys;
  readonly #pinMasterKey: Buffer;
  readonly #banks = new Map<string, BankKeys>();

  constructor(options: { issuer: IssuerMasterKeys; pinMasterKey: Buffer }) {
    this.card = new CardKeys(options.issuer);
    if (options.pinMasterKey.length !== 16) throw new QuancunError('CONFIG_INVALID', 'the kiosk PIN master key must be 16 bytes');
    this.#pinMasterKey = options.pinMasterKey;
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
