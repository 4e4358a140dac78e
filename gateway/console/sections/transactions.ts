/** Transactions: the live monitor, the search, and one load's story with its bank messages decoded and masked. */
import type { Section } from '../section.ts';

export const transactionsSection: Section = {
  id: 'transactions',
  title: { zh: '交易', en: 'Transactions' },
  routes(r, gateway) {
    r.read('transactions', 'viewer', (req) => gateway.transactions.search(req.query));
    r.read('transactions/:id', 'viewer', (req) => gateway.transactions.story(req.params.id!));
    gateway.transactions.on('change', (summary) => r.push('transactions.change', summary));
  },
};
