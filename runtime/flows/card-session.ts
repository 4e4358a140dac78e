/**
 * A card at the kiosk: read what the card says about itself, then ask the gateway who holds it and what it may do.
 * Reading moves no money; the channel stays open for the flow the cardholder picks.
 */
import type { CardChannel, CardReader } from '../../hal/card-reader/card-reader.ts';
import { selectPurse, readPublicData, readHolder, getBalance } from '../card/purse.ts';
import type { CardProfile } from '../card/card-profile.ts';
import type { KioskLink } from '../link/kiosk-link.ts';
import type { OpResponse } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';
import { campusTime } from '../../common/campus-time.ts';

export interface CardSession {
  channel: CardChannel;
  asn: string;
  /** For screens and logs: never the whole serial. */
  asnMasked: string;
  balance: number;
  /** The holder as the card itself stores it. */
  cardHolder: { name: string; staffNo: string };
  account: OpResponse<'card.lookup'>;
}

export function maskAsn(asn: string): string {
  return `${'*'.repeat(Math.max(0, asn.length - 4))}${asn.slice(-4)}`;
}

/** For screens and the simulator panel: the first character, and the last when the name has three or more ("张*明"). */
export function maskName(name: string): string {
  const chars = [...name];
  if (chars.length < 2) return name;
  const last = chars.length > 2 ? chars.at(-1)! : '';
  return `${chars[0]}${'*'.repeat(chars.length - 1 - last.length)}${last}`;
}

/** `timeZone`: the campus's, whose calendar the card's end date is on. */
export async function openCardSession(reader: CardReader, link: KioskLink, profile: CardProfile, timeZone: string): Promise<CardSession> {
  const channel = await reader.connect();
  try {
    await selectPurse(channel, profile);
    const publicData = await readPublicData(channel);
    const today = campusTime(new Date(), timeZone).dateDigits;
    if (publicData.endDate < today) throw new QuancunError('CARD_EXPIRED', `card expired on ${publicData.endDate}`);
    const cardHolder = await readHolder(channel, profile);
    const balance = await getBalance(channel);
    const account = await link.request('card.lookup', { asn: publicData.asn });
    return { channel, asn: publicData.asn, asnMasked: maskAsn(publicData.asn), balance, cardHolder, account };
  } catch (err) {
    await channel.close().catch(() => {});
    throw err;
  }
}

/** The same card session read again, on its open channel: its balance, and the gateway's answer as it stands now. */
export async function lookAgain(session: CardSession, link: KioskLink): Promise<CardSession> {
  const balance = await getBalance(session.channel);
  return { ...session, balance, account: await link.request('card.lookup', { asn: session.asn }) };
}
