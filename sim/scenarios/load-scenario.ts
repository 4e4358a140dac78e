/**
 * One load with no person at the kiosk: the card is tapped (or awaited on a PC/SC reader), the amount chosen, the
 * PIN typed on the simulated PIN pad's keys, and the result read back from the card and the bank simulator.
 */
import { once } from 'node:events';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { parseYuan } from '../../common/money.ts';
import { CAMPUS_CARD_PROFILE } from '../../runtime/card/card-profile.ts';
import { getBalance, selectPurse } from '../../runtime/card/purse.ts';
import type { Kiosk } from '../../runtime/kiosk.ts';
import type { Config } from '../../common/config.ts';
import type { EmbeddedSystem } from '../embedded-system.ts';

export interface LoadScenario {
  kioskId: string;
  /** In fen, or the yuan an operator typed: parsed once the card is read, so that a refusal still shows its balance. */
  amount: number | string;
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
  /** Why it did not complete, in the operator's words (the cardholder's are the code's, docs/errors.md). */
  code?: ErrorCode;
  message?: string;
  /** Null when the amount given was no amount. */
  amount: number | null;
  /** As read from the card; null when the card could not be read at all. */
  card: { before: number | null; after: number | null };
  bank: { before: number | null; after: number | null };
  tacVerified: boolean;
}

/** The card's balance read through the kiosk's reader on a channel of its own; null when it cannot be read. */
async function readBalance(kiosk: Kiosk): Promise<number | null> {
  try {
    const channel = await kiosk.reader.connect();
    try {
      await selectPurse(channel, kiosk.options.cardProfile ?? CAMPUS_CARD_PROFILE);
      return await getBalance(channel);
    } finally {
      await channel.close().catch(() => {});
    }
  } catch {
    return null;
  }
}

export async function runLoadScenario(system: EmbeddedSystem, s: LoadScenario): Promise<LoadScenarioResult> {
  const sim = system.kiosks.get(s.kioskId);
  if (!sim) throw new QuancunError('CONFIG_INVALID', `no kiosk ${s.kioskId} in this system`);
  const { kiosk, reader, keypad } = sim;
  if (!kiosk.link.online) await once(kiosk.link, 'online');

  const refused = (err: unknown, amount: number | null, card: number | null, bank: number | null): LoadScenarioResult => {
    const { code, message } = QuancunError.from(err);
    return { txnId: null, state: 'refused', code, message, amount, card: { before: card, after: card }, bank: { before: bank, after: bank }, tacVerified: false };
  };
  // As the screens do: a kiosk out of service (no pcscd, no reader, no PIN pad) takes no card, and says why.
  const outOfService = () => {
    const reason = kiosk.status.reason;
    return reason ? new QuancunError(reason, `kiosk ${s.kioskId} is out of service: ${kiosk.status.faults.values().next().value?.message ?? reason}`) : null;
  };
  const amountAsked = typeof s.amount === 'number' ? s.amount : null;
  if (outOfService()) return refused(outOfService(), amountAsked, null, null);

  if (reader) {
    const card = s.asn ? system.cards.get(s.asn.toUpperCase()) : system.cards.values().next().value;
    if (!card) throw new QuancunError('CARD_UNKNOWN', `no virtual card ${s.asn ?? ''}`);
    reader.insert(card);
  } else {
    // Waiting for a card ends when one comes, or when the kiosk goes out of service meanwhile.
    const stop = new AbortController();
    const onChange = () => outOfService() && stop.abort();
    kiosk.status.on('change', onChange);
    try {
      await kiosk.reader.waitForCard(stop.signal);
    } catch (err) {
      if (!stop.signal.aborted) throw err;
      return refused(outOfService(), amountAsked, null, null);
    } finally {
      kiosk.status.off('change', onChange);
    }
  }
  let session;
  try {
    session = await kiosk.openSession();
  } catch (err) {
    // The session reads the balance before it asks the gateway about the card: read it again for the report.
    const balance = await readBalance(kiosk);
    reader?.remove();
    return refused(err, amountAsked, balance, null);
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
    let amount: number;
    try {
      amount = typeof s.amount === 'number' ? s.amount : parseYuan(s.amount);
    } catch (err) {
      return refused(err, null, session.balance, bankBefore);
    }
    const outcome = await kiosk.load(session, amount).catch((err: unknown) => {
      const e = QuancunError.from(err);
      return { txnId: null, state: 'refused', code: e.code, message: e.message, tacVerified: false };
    });
    // Unreadable now: the balance after the credit when the kiosk knows it, else the one the card was read with.
    const cardAfter = await getBalance(session.channel).catch(() => ('cardAfter' in outcome ? outcome.cardAfter : session.balance));
    return {
      txnId: outcome.txnId,
      state: outcome.state,
      ...(outcome.code ? { code: outcome.code } : {}),
      ...('message' in outcome && outcome.message ? { message: outcome.message } : {}),
      amount,
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
