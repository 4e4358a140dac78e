/**
 * What the gateway owes each card, whatever the source: loads whose credit did not finish (gateway/loads/) and the
 * credits the campus funds (campus-credits.ts: subsidies, fee refunds, transfers). card.lookup lists them all, and
 * load.recredit / load.confirm — the kiosk's 领款 flow, the same for every source — go to the owner of the id.
 */
import type { OpRequest, OpResponse } from '../../common/api/topics.ts';
import type { LoadService } from '../loads/load-service.ts';
import type { CampusCredits } from './campus-credits.ts';

export class OwedCredits {
  constructor(private readonly loads: LoadService, private readonly campus: CampusCredits) {}

  async lookup(kioskId: string, req: OpRequest<'card.lookup'>): Promise<OpResponse<'card.lookup'>> {
    const answer = await this.loads.lookup(kioskId, req);
    // Loads first: they are written at the tap, before a credit the cardholder picks could move the card's counter.
    return { ...answer, pendingLoads: [...answer.pendingLoads, ...(await this.campus.owed(req.asn))] };
  }

  async recredit(kioskId: string, req: OpRequest<'load.recredit'>): Promise<OpResponse<'load.recredit'>> {
    return (await this.campus.owns(req.txnId)) ? this.campus.recredit(kioskId, req) : this.loads.recredit(kioskId, req);
  }

  async confirm(kioskId: string, req: OpRequest<'load.confirm'>): Promise<OpResponse<'load.confirm'>> {
    return (await this.campus.owns(req.txnId)) ? this.campus.confirm(kioskId, req) : this.loads.confirm(kioskId, req);
  }
}
