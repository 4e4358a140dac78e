/** The console's sections in menu order: each is one file in sections/ and one page in web/sections/. */
import type { Section } from './section.ts';
import { announcementsSection } from './sections/announcements.ts';
import { auditSection } from './sections/audit.ts';
import { banksSection } from './sections/banks.ts';
import { feesSection } from './sections/fees.ts';
import { fleetSection } from './sections/fleet.ts';
import { gatewaySection } from './sections/gateway.ts';
import { oneCardSection } from './sections/onecard.ts';
import { owedSection } from './sections/owed.ts';
import { reconcileSection } from './sections/reconcile.ts';
import { subsidiesSection } from './sections/subsidies.ts';
import { transactionsSection } from './sections/transactions.ts';
import { transfersSection } from './sections/transfers.ts';
import { usersSection } from './sections/users.ts';

export const SECTIONS: readonly Section[] = [
  fleetSection,
  gatewaySection,
  transactionsSection,
  feesSection,
  banksSection,
  owedSection,
  oneCardSection,
  transfersSection,
  reconcileSection,
  subsidiesSection,
  announcementsSection,
  auditSection,
  usersSection,
];
