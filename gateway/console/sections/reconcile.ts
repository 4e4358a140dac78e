/**
 * Reconciliation (对账) while the gateway runs (gateway/reconcile/reconcile-service.ts): the runs kept, one run's
 * differences by class with what a person may record for each, a run started for a bank and day (an operator; the
 * answer comes when it ends, the page hears it start and end), a difference resolved with a note, and the reports.
 * `quancun reconcile` uses these same routes when a gateway runs on its data folder.
 */
import { z } from 'zod';
import { QuancunError } from '../../../common/errors.ts';
import { manualResolutions } from '../../reconcile/manual-resolution.ts';
import type { ReconcileRun } from '../../reconcile/reconcile-service.ts';
import type { Section } from '../section.ts';

const startSchema = z.object({
  bankId: z.string().min(1),
  date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/),
  /** A file name in the bank's folder of the gateway's data (<data>/bank-files/<bank>/), not a path. */
  file: z.string().min(1).optional(),
});
const resolveSchema = z.object({ resolution: z.string().min(1), note: z.string().trim().min(1).max(1000) });

/** A run as the page shows it: each difference with the resolutions a person may record. */
const withResolutions = (run: ReconcileRun) => ({
  ...run,
  summary: run.summary && { ...run.summary, differences: run.summary.differences.map((d) => ({ ...d, resolutions: manualResolutions(d) })) },
});

export type ReconcileRunView = ReturnType<typeof withResolutions>;

/** The list leaves the differences out: a run's page has them. */
const brief = ({ summary, ...run }: ReconcileRun) => ({ ...run, summary: summary && { compared: summary.compared, resolved: summary.resolved, open: summary.open } });

export const reconcileSection: Section = {
  id: 'reconcile',
  title: { zh: '对账', en: 'Reconciliation' },
  routes(r, gateway) {
    r.read('reconcile', 'viewer', async (req) => ({
      ...gateway.reconcile.choices(),
      runs: (await gateway.reconcile.runs({ ...(req.query.bankId ? { bankId: req.query.bankId } : {}), ...(req.query.date ? { date: req.query.date } : {}) }))
        .slice(0, 100).map(brief),
    }));
    r.read('reconcile/runs/:id', 'viewer', async (req) => withResolutions(await gateway.reconcile.get(req.params.id!)));
    r.act('reconcile/runs', 'operator', 'reconcile.run', async (req) => {
      const body = startSchema.safeParse(req.body);
      if (!body.success) throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {bankId, date: yyyy-mm-dd, file?}');
      const { bankId, date, file } = body.data;
      const { done } = await gateway.reconcile.start({ bankId, date, by: req.user.name, ...(file ? { fileName: file } : {}) });
      return withResolutions(await done);
    });
    r.act('reconcile/runs/:id/differences/:stan/resolve', 'operator', 'reconcile.resolve', async (req) => {
      const body = resolveSchema.safeParse(req.body);
      if (!body.success) throw new QuancunError('RECON_RESOLUTION_INVALID', 'expected {resolution, note}: a resolution of the class and a note');
      const stan = Number(req.params.stan);
      return withResolutions(await gateway.reconcile.resolve({ runId: req.params.id!, stan, ...body.data, by: req.user.name }));
    });
    for (const format of ['json', 'csv'] as const) {
      r.download(`reconcile/runs/:id/report.${format}`, 'viewer', (req) => gateway.reconcile.report(req.params.id!, format));
    }
    gateway.reconcile.on('run', (run) => r.push('reconcile.run', brief(run)));
  },
};
