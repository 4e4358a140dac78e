/**
 * The card half of the gateway's software key store: issuer master keys in, card-key operations out. Keys are
 * diversified per card on demand and never leave this object; callers only get verdicts and MACs.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  TXN_TYPE, diversifyKey, loadSessionKey, loadMac1, loadMac2, loadTac, purchaseMac1, purchaseMac2, purchaseSessionKey, purchaseTac,
} from '../../common/crypto/pboc.ts';
import { QuancunError } from '../../common/errors.ts';

export interface IssuerMasterKeys {
  /** Master load key (MLK), purchase key (MPK), TAC key (MTK): 16 bytes each. */
  load: Buffer;
  purchase: Buffer;
  tac: Buffer;
}

export interface LoadInit {
  asn: Buffer;
  amount: number;
  terminalId: Buffer;
  oldBalance: number;
  onlineCounter: number;
  random: Buffer;
}

export interface LoadStamp {
  date: Buffer;
  time: Buffer;
}

const LOAD_TYPE = 0x02;

/** A purchase (DEBIT FOR PURCHASE) as the key store, acting as the PSAM, covers it. */
export interface PurchaseInit {
  asn: Buffer;
  amount: number;
  terminalId: Buffer;
  /** The card's offline counter from INITIALIZE FOR PURCHASE (before the debit). */
  offlineCounter: number;
  random: Buffer;
  terminalTxSeq: number;
  date: Buffer;
  time: Buffer;
}

export class CardKeys {
  readonly #master: IssuerMasterKeys;

  constructor(master: IssuerMasterKeys) {
    for (const [name, key] of Object.entries(master)) {
      if (key.length !== 16) throw new QuancunError('CONFIG_INVALID', `issuer master key "${name}" must be 16 bytes`);
    }
    this.#master = master;
  }

  #sessionKey(init: LoadInit): Buffer {
    return loadSessionKey(diversifyKey(this.#master.load, init.asn), init.random, init.onlineCounter);
  }

  /** Proves the card is genuine and agreed to this amount; throws CARD_MAC_INVALID otherwise. */
  verifyLoadMac1(init: LoadInit, mac1: Buffer): void {
    const expected = loadMac1({ oldBalance: init.oldBalance, amount: init.amount, terminalId: init.terminalId }, this.#sessionKey(init));
    if (mac1.length !== 4 || !timingSafeEqual(expected, mac1)) {
      throw new QuancunError('CARD_MAC_INVALID', 'MAC1 does not verify', { asnTail: init.asn.subarray(-2).toString('hex') });
    }
  }

  /** Only called after the bank approved the debit: MAC2 is what lets the card credit itself. */
  issueLoadMac2(init: LoadInit, stamp: LoadStamp): Buffer {
    return loadMac2({ amount: init.amount, terminalId: init.terminalId, date: stamp.date, time: stamp.time }, this.#sessionKey(init));
  }

  verifyLoadTac(init: LoadInit, stamp: LoadStamp, newBalance: number, tac: Buffer): boolean {
    const expected = loadTac(diversifyKey(this.#master.tac, init.asn), {
      newBalance,
      counterBefore: init.onlineCounter,
      amount: init.amount,
      type: LOAD_TYPE,
      terminalId: init.terminalId,
      date: stamp.date,
      time: stamp.time,
    });
    return tac.length === 4 && timingSafeEqual(expected, tac);
  }

  #purchaseSessionKey(p: PurchaseInit): Buffer {
    return purchaseSessionKey(diversifyKey(this.#master.purchase, p.asn), p.random, p.offlineCounter, p.terminalTxSeq);
  }

  /** The PSAM's MAC1: what lets the card debit itself for this amount, terminal, sequence, date and time. */
  issuePurchaseMac1(p: PurchaseInit): Buffer {
    return purchaseMac1({ amount: p.amount, terminalId: p.terminalId, date: p.date, time: p.time }, this.#purchaseSessionKey(p));
  }

  /** The card's MAC2 (over the amount, under the same session key) and TAC of its debit; both must verify. */
  verifyPurchase(p: PurchaseInit, proof: { mac2: Buffer; tac: Buffer }): { mac2: boolean; tac: boolean } {
    const mac2 = purchaseMac2({ amount: p.amount }, this.#purchaseSessionKey(p));
    const tac = purchaseTac(diversifyKey(this.#master.tac, p.asn), {
      amount: p.amount, type: TXN_TYPE.purchase, terminalId: p.terminalId, terminalTxSeq: p.terminalTxSeq, date: p.date, time: p.time,
    });
    return {
      mac2: proof.mac2.length === 4 && timingSafeEqual(mac2, proof.mac2),
      tac: proof.tac.length === 4 && timingSafeEqual(tac, proof.tac),
    };
  }
}
