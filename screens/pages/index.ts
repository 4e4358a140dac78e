/** Which page draws which screen, and the pure function from a KioskView to its widget tree. */
import type { Metrics } from '../theme.ts';
import type { KioskView, ScreenId } from '../view-model.ts';
import type { Widget } from '../widgets.ts';
import { chrome, type Page } from './chrome.ts';
import { idle } from './idle.ts';
import { card, menu } from './session.ts';
import { amount } from './amount.ts';
import { feeAccount } from './fee-account.ts';
import { maintenancePin, pin } from './pin.ts';
import { processing, rePresent, receipt, result } from './transaction.ts';
import { announcements, campusRecords, fees, pending, records } from './queries.ts';
import { maintenance, outOfService } from './service.ts';

const PAGES: Record<ScreenId, Page> = {
  idle,
  card,
  menu,
  amount,
  pin,
  processing,
  result,
  're-present': rePresent,
  receipt,
  records,
  'campus-records': campusRecords,
  pending,
  fees,
  'fee-account': feeAccount,
  announcements,
  'out-of-service': outOfService,
  'maintenance-pin': maintenancePin,
  maintenance,
};

export function buildScreen(view: KioskView, m: Metrics): Widget[] {
  return chrome(view, m, PAGES[view.screen]);
}
