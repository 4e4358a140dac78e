/**
 * The batch transfer mode (后台批量转账) in the console (gateway/transfers/, docs/batch-transfer.md): the standing
 * orders, the runs with their counts and one run's transfers, and for an operator "start a run now" — the same
 * TransferService.run the schedule and `quancun transfer run` make, refused with TRANSFER_RUN_CONFLICT (409) while
 * one is under way. The action answers once the run is started; the page hears the run's states as they are journaled.
 */
import { runDetail, transferOverview } from '../../transfers/transfer-overview.ts';
import type { Section } from '../section.ts';

export const transfersSection: Section = {
  id: 'transfers',
  title: { zh: '批量转账', en: 'Batch transfers' },
  routes(r, gateway) {
    const { transfers } = gateway;
    r.read('transfers', 'viewer', async () => ({ ...(await transferOverview(transfers, gateway.ledger)), runAt: transfers.runAt }));
    r.read('transfers/runs/:id', 'viewer', (req) => runDetail(transfers, req.params.id!));
    r.act('transfers/runs', 'operator', 'transfer.run', async (req) => {
      transfers.startRun(req.user.name);
      return { started: true };
    });
    transfers.runs.on('changed', (run) => r.push('transfers.run', { id: run.id, state: run.state }));
  },
};
