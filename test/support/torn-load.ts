/**
 * A load whose card leaves the field during CREDIT FOR LOAD (the sim reader's tear knob), for the torn-write, pending
 * load and recovery tests: the card either applied the credit and its answer was lost (`after`) or never saw it
 * (`before`). The kiosk then asks for the same card back ('re-present').
 */
import { once } from 'node:events';
import type { Kiosk } from '../../runtime/kiosk.ts';
import type { LoadOutcome } from '../../runtime/flows/load/load-flow.ts';
import type { RePresentInfo } from '../../runtime/flows/load/torn-load.ts';
import type { EmbeddedSystem } from '../../sim/embedded-system.ts';
import type { Posting } from '../../gateway/ledger/campus-ledger.ts';

// From config/embedded.json: 张三's card (10.00 on it) and the bank account bound to it (5000.00, PIN 123456).
export const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', pin: '123456', card: 1000, bank: 500_000 };
export const LI_ASN = '31030000002023010002';
export const CREDIT_FOR_LOAD = 0x52;

export interface TornLoad {
  /** The first 're-present' announcement: the kiosk is waiting for the card. */
  rePresent: Promise<RePresentInfo>;
  outcome: Promise<LoadOutcome>;
}

export async function startTornLoad(system: EmbeddedSystem, kioskId: string, amount: number, when: 'before' | 'after'): Promise<TornLoad> {
  const { kiosk, reader, keypad } = system.kiosks.get(kioskId)!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  keypad.once('entry', () => {
    keypad.type(ZHANG.pin);
    keypad.enter();
  });
  reader!.tear({ ins: CREDIT_FOR_LOAD, when });
  const rePresent = once(kiosk, 're-present').then(([info]) => info as RePresentInfo);
  return { rePresent, outcome: kiosk.load(session, amount) };
}

/** Resolves with the state recovery ended the transaction in. */
export function recovered(kiosk: Kiosk, txnId: string): Promise<string> {
  return new Promise((resolve) => {
    const on = (id: string, state: string) => {
      if (id !== txnId) return;
      kiosk.off('recovered', on);
      resolve(state);
    };
    kiosk.on('recovered', on);
  });
}

/** The ledger's postings without their times, to compare whole. */
export function postingsOf(postings: Posting[]): Array<Omit<Posting, 'at' | 'campusAccount'>> {
  return postings.map(({ txnId, amount, status }) => ({ txnId, amount, status }));
}
