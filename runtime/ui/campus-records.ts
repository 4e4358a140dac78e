/**
 * The card's campus records for the campus-records screen: one page from the gateway (`records.query`, answered only
 * for the card this kiosk just looked up), times on the campus clock, what the card is owed summed up.
 */
import type { OpResponse } from '../../common/api/topics.ts';
import { campusTime } from '../../common/campus-time.ts';
import { CAMPUS_RECORDS_PAGE_SIZE, type CampusRecordsPage } from '../../screens/view-model.ts';
import type { KioskLink } from '../link/kiosk-link.ts';

export function campusRecordsPage(answer: OpResponse<'records.query'>, timeZone: string): CampusRecordsPage {
  return {
    items: answer.items.map((i) => ({
      time: campusTime(new Date(i.at), timeZone).dateTime.slice(0, 16), kind: i.kind, amount: i.amount, place: i.kioskId, state: i.state,
    })),
    page: answer.page,
    pages: Math.max(1, Math.ceil(answer.total / answer.pageSize)),
    owed: { count: answer.pending.length, amount: answer.pending.reduce((sum, p) => sum + p.amount, 0) },
  };
}

export async function queryCampusRecords(link: Pick<KioskLink, 'request'>, asn: string, page: number, timeZone: string): Promise<CampusRecordsPage> {
  return campusRecordsPage(await link.request('records.query', { asn, page, pageSize: CAMPUS_RECORDS_PAGE_SIZE }), timeZone);
}
