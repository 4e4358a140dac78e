/**
 * The card-side proof of every credit the gateway owes a card, whatever its source (a torn load, a subsidy, a fee
 * refund, a transfer): a fresh MAC2 under the load key for the card's INITIALIZE FOR LOAD, and the check of the TAC
 * the card answered with. Both are pure: the caller journals what they return before the kiosk may use it.
 */
import { campusTime } from '../../common/campus-time.ts';
import { QuancunError } from '../../common/errors.ts';
import type { OpRequest } from '../../common/api/topics.ts';
import type { KeyStore } from '../keystore/key-store.ts';
import type { LoadInit, LoadStamp } from '../keystore/card-keys.ts';

/** What a MAC2 was issued over, as the owner of the credit journals it (hex fields as on the wire). */
export interface IssuedCredit {
  id: string;
  asn: string;
  amount: number;
  terminalId: string;
  oldBalance: number;
  onlineCounter: number;
  random: string;
  hostDate?: string;
  hostTime?: string;
}

export function initOf(c: IssuedCredit): LoadInit {
  return {
    asn: Buffer.from(c.asn, 'hex'),
    amount: c.amount,
    terminalId: Buffer.from(c.terminalId, 'hex'),
    oldBalance: c.oldBalance,
    onlineCounter: c.onlineCounter,
    random: Buffer.from(c.random, 'hex'),
  };
}

export function stampOf(c: IssuedCredit): LoadStamp {
  return { date: Buffer.from(c.hostDate!, 'hex'), time: Buffer.from(c.hostTime!, 'hex') };
}

/** The date and time the card is credited with: the campus's wall clock, as the MAC2 and TAC cover them. */
export function stampAt(now: Date, timeZone: string): { hostDate: string; hostTime: string } {
  const { dateDigits, timeDigits } = campusTime(now, timeZone);
  return { hostDate: dateDigits, hostTime: timeDigits };
}

/** A fresh MAC2 and the fields it covers: what the owner journals before answering. */
export type FreshMac2 = Pick<IssuedCredit, 'terminalId' | 'oldBalance' | 'onlineCounter' | 'random'> & { hostDate: string; hostTime: string; mac2: string };

/**
 * A fresh MAC2 for `credit`, bound to the card's new random. `onlineCounter` is the counter a MAC2 was issued for
 * before, if one was: the card must still show it (one more means that credit applied, and the kiosk proves it with
 * the TAC instead). Without one, the card's counter now is the one journaled from here on.
 */
export function freshMac2(
  keys: KeyStore,
  credit: { id: string; asn: string; amount: number; onlineCounter?: number | undefined },
  req: OpRequest<'load.recredit'>,
  o: { purseLimit: number; now: Date; timeZone: string },
): FreshMac2 {
  if (credit.onlineCounter !== undefined && req.card.onlineCounter !== credit.onlineCounter) {
    throw new QuancunError('TXN_STATE', 'the card counter moved since the MAC2 was issued: the credit was applied', {
      txnId: credit.id, expected: credit.onlineCounter, card: req.card.onlineCounter,
    });
  }
  if (req.card.oldBalance + credit.amount > o.purseLimit) {
    throw new QuancunError('AMOUNT_OVER_PURSE_LIMIT', `balance would exceed ${o.purseLimit}`);
  }
  const issued: IssuedCredit = {
    id: credit.id, asn: credit.asn, amount: credit.amount, terminalId: req.terminalId, oldBalance: req.card.oldBalance,
    onlineCounter: req.card.onlineCounter, random: req.card.random, ...stampAt(o.now, o.timeZone),
  };
  keys.card.verifyLoadMac1(initOf(issued), Buffer.from(req.card.mac1, 'hex'));
  const mac2 = keys.card.issueLoadMac2(initOf(issued), stampOf(issued)).toString('hex').toUpperCase();
  return {
    terminalId: issued.terminalId, oldBalance: issued.oldBalance, onlineCounter: issued.onlineCounter, random: issued.random,
    hostDate: issued.hostDate!, hostTime: issued.hostTime!, mac2,
  };
}

/** Whether the kiosk's confirm is the card's answer to the MAC2 last issued for `credit`: counter, balance and TAC. */
export function tacVerifies(keys: KeyStore, credit: IssuedCredit, req: OpRequest<'load.confirm'>): boolean {
  return req.onlineCounter === credit.onlineCounter && req.newBalance === credit.oldBalance + credit.amount
    && keys.card.verifyLoadTac(initOf(credit), stampOf(credit), req.newBalance, Buffer.from(req.tac, 'hex'));
}
