/**
 * Waiting for one particular card to come back to the reader (after a torn credit). Any other card presented is
 * CARD_MISMATCH: reported, never touched beyond reading its serial, and ignored until it leaves the field.
 */
import { once } from 'node:events';
import { QuancunError, type ErrorCode } from '../../common/errors.ts';
import { EXCHANGE_FAILURES, type CardChannel, type CardReader } from '../../hal/card-reader/card-reader.ts';
import type { CardProfile } from '../card/card-profile.ts';
import { readPublicData, selectPurse } from '../card/purse.ts';

/** Card faults that only mean "try the next presentation": a broken exchange, or an answer that made no sense. */
const retryOnNextTap = (code: ErrorCode) => code === 'CARD_ERROR' || EXCHANGE_FAILURES.has(code);

/** A channel to the card with this serial once it is presented; rejects with the signal's reason on abort. */
export async function waitForSameCard(
  reader: CardReader, profile: CardProfile, asn: string, signal: AbortSignal, onMismatch: () => void,
): Promise<CardChannel> {
  for (;;) {
    await reader.waitForCard(signal);
    // Whether the card read here left already: then a card in the field now is a new presentation, to be read.
    let left = false;
    const onAbsent = () => (left = true);
    reader.on('absent', onAbsent);
    try {
      const read = await readCard(reader, profile, asn);
      if (typeof read !== 'string') return read;
      if (read === 'other') onMismatch();
      if (!left && reader.cardPresent) await once(reader, 'absent', { signal });
    } finally {
      reader.off('absent', onAbsent);
    }
  }
}

/** The channel when the card in the field is this one; `unreadable` when it left or could not be read. */
async function readCard(reader: CardReader, profile: CardProfile, asn: string): Promise<CardChannel | 'other' | 'unreadable'> {
  let channel: CardChannel | undefined;
  try {
    channel = await reader.connect();
    await selectPurse(channel, profile);
    if ((await readPublicData(channel)).asn === asn) return channel;
    await channel.close();
    return 'other';
  } catch (err) {
    await channel?.close().catch(() => {});
    if (retryOnNextTap(QuancunError.from(err).code)) return 'unreadable';
    throw err;
  }
}

export interface CardAskedBack {
  reader: CardReader;
  profile: CardProfile;
  asn: string;
  seconds: number;
  /** The kiosk is stopping: the wait ends early. */
  stopSignal?: AbortSignal;
  /** Each second, and with CARD_MISMATCH when another card is presented: what the re-present screen shows. */
  announce: (secondsLeft: number, code?: ErrorCode) => void;
}

/**
 * Asks for one card back (a torn write) for `seconds` and hands each presentation of it to `tap`, closing its channel
 * after. `tap` answers `again` to wait for the next presentation (the exchange broke off), `give-up` to stop waiting,
 * or the decision, which ends the wait. Undefined when the time ran out, the kiosk is stopping, or `tap` gave up.
 */
export async function whileCardAskedBack<T>(o: CardAskedBack, tap: (channel: CardChannel) => Promise<T | 'again' | 'give-up'>): Promise<T | undefined> {
  const deadline = Date.now() + o.seconds * 1000;
  const waiting = AbortSignal.timeout(o.seconds * 1000);
  const signal = o.stopSignal ? AbortSignal.any([waiting, o.stopSignal]) : waiting;
  const announce = (code?: ErrorCode) => o.announce(Math.max(0, Math.ceil((deadline - Date.now()) / 1000)), code);
  announce();
  const ticker = setInterval(announce, 1000);
  try {
    for (;;) {
      let channel: CardChannel;
      try {
        channel = await waitForSameCard(o.reader, o.profile, o.asn, signal, () => announce('CARD_MISMATCH'));
      } catch (err) {
        if (signal.aborted) return undefined;
        throw err;
      }
      try {
        const decided = await tap(channel);
        if (decided === 'give-up') return undefined;
        if (decided !== 'again') return decided;
      } finally {
        await channel.close().catch(() => {});
      }
    }
  } finally {
    clearInterval(ticker);
  }
}

