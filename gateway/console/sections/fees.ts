/**
 * Fees (缴费) in the console (gateway/fees/, docs/fees.md): a search of the fees paid from purses to billers, like
 * the transactions' (masked card, biller, kiosk, campus day, state), each fee's story — the gateway's states, the
 * kiosks' reports, the transfer purse -> biller, the biller's tries and answer, the refund owed when it was not paid —
 * and the billers' health since the gateway started. Read-only: a fee ends by its card and its biller, never by hand.
 */
import type { Section } from '../section.ts';

export const feesSection: Section = {
  id: 'fees',
  title: { zh: '缴费', en: 'Fees' },
  routes(r, gateway) {
    const { feeStories } = gateway;
    r.read('fees', 'viewer', async (req) => ({ ...(await feeStories.search(req.query)), billers: feeStories.billers() }));
    r.read('fees/:id', 'viewer', (req) => feeStories.story(req.params.id!));
    gateway.fees.fees.on('changed', (record) => r.push('fees.change', feeStories.summarize(record)));
  },
};
