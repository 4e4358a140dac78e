/**
 * The virtual cards of a config's simulation section, personalised as the issuer would: card keys diversified from
 * the configured master keys, holder data from the cardholder list, the purse limit from the load limits.
 */
import type { Config } from '../../common/config.ts';
import { personalise } from './issuance.ts';
import { VirtualCard } from './virtual-card.ts';

/** Keyed by ASN in upper case. */
export function issueSimulationCards(config: Config): Map<string, VirtualCard> {
  const masterKeys = {
    load: Buffer.from(config.issuer.masterKeys.load, 'hex'),
    purchase: Buffer.from(config.issuer.masterKeys.purchase, 'hex'),
    tac: Buffer.from(config.issuer.masterKeys.tac, 'hex'),
  };
  const cards = new Map<string, VirtualCard>();
  for (const card of config.simulation?.cards ?? []) {
    const holder = config.cardholders.find((c) => c.asn.toUpperCase() === card.asn.toUpperCase());
    cards.set(card.asn.toUpperCase(), new VirtualCard(personalise({
      masterKeys, asn: card.asn, balance: card.balance, pin: card.pin, purseLimit: config.limits.purseLimit,
      holder: { name: holder?.name ?? '', staffNo: holder?.staffNo ?? '' }, timeZone: config.campus.timeZone,
    })));
  }
  return cards;
}
