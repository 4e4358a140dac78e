/**
 * Which cards each kiosk has just looked up (`card.lookup`): a kiosk may read a card's campus records
 * (`records.query`) only within RECORDS_QUERY_WINDOW_SECONDS of looking that card up itself. A kiosk looks a card up
 * when it is tapped, so a kiosk (or whoever holds its broker identity) cannot page through the records of a card that
 * was never on its reader, and one kiosk's lookup opens nothing at another. Kept in memory: after a gateway restart
 * the cardholder taps again.
 */
import { RECORDS_QUERY_WINDOW_SECONDS } from '../../common/api/topics.ts';
import { QuancunError } from '../../common/errors.ts';

export class RecentLookups {
  /** kiosk id -> card ASN -> when it was last looked up (ms). */
  readonly #seen = new Map<string, Map<string, number>>();
  readonly #windowMs = RECORDS_QUERY_WINDOW_SECONDS * 1000;

  constructor(private readonly now: () => number = Date.now) {}

  /** `kioskId` looked `asn` up now; that kiosk's expired entries go, so the map holds only live ones. */
  looked(kioskId: string, asn: string): void {
    const now = this.now();
    const cards = this.#seen.get(kioskId) ?? new Map<string, number>();
    for (const [card, at] of cards) if (now - at > this.#windowMs) cards.delete(card);
    cards.set(asn.toUpperCase(), now);
    this.#seen.set(kioskId, cards);
  }

  /** Whether `kioskId` looked `asn` up within the window. */
  seen(kioskId: string, asn: string): boolean {
    const at = this.#seen.get(kioskId)?.get(asn.toUpperCase());
    return at !== undefined && this.now() - at <= this.#windowMs;
  }

  /** QUERY_CARD_NOT_PRESENTED unless `kioskId` looked `asn` up within the window. */
  check(kioskId: string, asn: string): void {
    if (this.seen(kioskId, asn)) return;
    throw new QuancunError('QUERY_CARD_NOT_PRESENTED',
      `kiosk ${kioskId} did not look this card up in the last ${RECORDS_QUERY_WINDOW_SECONDS} seconds`, { kioskId });
  }
}
