/**
 * One load with no person at the kiosk: the card is tapped (or awaited on a PC/SC reader), the amount chosen, the
 * PIN typed on the simulated PIN pad's keys, and the result read back from the card and the bank simulator.
 */
import { once } from 'node:events';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { getBalance } from '../../runtime/card/purse.ts';
import type { Config } from '../../common/config.ts';
import type { EmbeddedSystem } from '../embedded-system.ts';

export interface LoadScenario {
  kioskId: string;
  amount: number;
  /** With the simulated reader: the card to tap. With PC/SC: whatever card is presented. */
  asn?: string;
  /** The PIN typed on the PIN pad; by default the bound bank account's PIN from the simulation section. */
  pin?: string;
  bankPins: Map<string, string>;
  bankPans: Map<string, string>;
}

/** Which bank account each card is bound to and the PIN of each simulated account, from the config. */
export function scenarioAccounts(config: Config): Pick<LoadScenario, 'bankPins' | 'bankPans'> {
  return {
    bankPins: new Map((config.simulation?.bankAccounts ?? []).map((a) => [a.pan, a.pin])),
    bankPans: new Map(config.cardholders.filter((c) => c.bankPan).map((c) => [c.asn.toUpperCase(), c.bankPan!])),
  };
}

export interface LoadScenarioResult {
  txnId: string | null;
  /** The load's final journal state, or `refused` when it was turned down before a transaction existed. */
  state: string;
  code?: ErrorCode;
  amount: number;
  card: { before: number; after: number };
  bank: { before: number | null; after: number | null };
  tacVerified: boolean;
}

/** A load turned down before the card was read (bad amount, unknown card): nothing known of card or bank. */
export function refusedBeforeSession(err: unknown, amount: number): LoadScenarioResult {
  const { code } = QuancunError.from(err);
  return { txnId: null, state: 'refused', code, amount, card: { before: 0, after: 0 }, bank: { before: null, after: null }, tacVerified: false };
}

export async function runLoadScenario(system: EmbeddedSystem, s: LoadScenario): Promise<LoadScenarioResult> {
  const sim = system.kiosks.get(s.kioskId);
  if (!sim) throw new QuancunError('CONFIG_INVALID', `no kiosk ${s.kioskId} in this system`);
  const { kiosk, reader, keypad } = sim;
  if (!kiosk.link.online) await once(kiosk.link, 'online');

  if (reader) {
    const card = s.asn ? system.cards.get(s.asn.toUpperCase()) : system.cards.values().next().value;
    if (!card) throw new QuancunError('CARD_UNKNOWN', `no virtual card ${s.asn ?? ''}`);
    reader.insert(card);
  } else {
    await kiosk.reader.waitForCard();
  }

  let session;
  try {
    session = await kiosk.openSession();
  } catch (err) {
    reader?.remove();
    return refusedBeforeSession(err, s.amount);
  }
  const pan = s.bankPans.get(session.asn);
  const bankBalance = () => (pan ? system.bank.balanceOf(pan) ?? null : null);
  const bankBefore = bankBalance();
  // The cardholder types once the pad has lit up for entry (the pad ignores keys before that).
  const typePin = () => {
    keypad.type(s.pin ?? (pan && s.bankPins.get(pan)) ?? '');
    keypad.enter();
  };
  keypad.on('entry', typePin);
  try {
    const outcome = await kiosk.load(session, s.amount).catch((err: unknown) => {
      const e = QuancunError.from(err);
      return { txnId: null, state: 'refused', code: e.code, tacVerified: false };
    });
    // Unreadable now: the balance after the credit when the kiosk knows it, else the one the card was read with.
    const cardAfter = await getBalance(session.channel).catch(() => ('cardAfter' in outcome ? outcome.cardAfter : session.balance));
    return {
      txnId: outcome.txnId,
      state: outcome.state,
      ...(outcome.code ? { code: outcome.code } : {}),
      amount: s.amount,
      card: { before: session.balance, after: cardAfter },
      bank: { before: bankBefore, after: bankBalance() },
      tacVerified: outcome.tacVerified,
    };
  } finally {
    keypad.off('entry', typePin);
    await session.channel.close().catch(() => {});
    reader?.remove();
  }
}
