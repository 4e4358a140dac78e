/**
 * Money owed (gateway/loads/money-owed.ts): reversals the bank has not confirmed, pending loads (圈存未领), loads
 * left unfinished and the credits the campus funds and owes cards (subsidies, fee refunds, transfers), each with the
 * actions that keep the money rule; an operator retries a reversal now, parks a load its kiosk left `mac2-issued` or
 * reverses one left `approved`. The page hears when a reversal try ends and when a credit changes.
 */
import type { OwedActionId } from '../../loads/money-owed.ts';
import type { Section } from '../section.ts';

const ROUTES: Array<{ path: string; action: OwedActionId; audit: string }> = [
  { path: 'owed/reversals/:txnId/retry', action: 'retry-reversal', audit: 'owed.retry-reversal' },
  { path: 'owed/loads/:txnId/park', action: 'park', audit: 'owed.park' },
  { path: 'owed/loads/:txnId/reverse', action: 'reverse', audit: 'owed.reverse' },
];

export const owedSection: Section = {
  id: 'owed',
  title: { zh: '待处理款项', en: 'Money owed' },
  routes(r, gateway) {
    r.read('owed', 'viewer', () => gateway.owed.view());
    for (const { path, action, audit } of ROUTES) {
      r.act(path, 'operator', audit, async (req) => {
        const { item, view } = await gateway.owed.act(req.params.txnId!, action);
        return { item, owed: view };
      });
    }
    const changed = (txnId: string) => r.push('owed.changed', { txnId });
    gateway.loads.reversals.on('confirmed', changed);
    gateway.loads.reversals.on('failed', changed);
    // A credit owed, collected, in doubt or expired.
    gateway.credits.credits.on('changed', (credit) => changed(credit.id));
  },
};
