/**
 * 补助 in the console (gateway/subsidies/, docs/subsidies.md): the report (issued = collected + outstanding + expired,
 * per batch and in total) for everyone, and for an operator a CSV batch imported or one subsidy issued on the running
 * gateway. The subsidy service checks every line; a refused batch answers each bad line with its code.
 */
import { z } from 'zod';
import { QuancunError } from '../../../common/errors.ts';
import type { SubsidyBatch } from '../../subsidies/subsidy-service.ts';
import type { Section } from '../section.ts';

// The console takes request bodies up to 64 KiB (about a thousand lines): a larger batch is imported with the gateway stopped.
const importSchema = z.object({ csv: z.string().min(1), file: z.string().min(1).max(200).optional() });
const text = z.string().max(200);
const issueSchema = z.object({ account: text, amount: text, reason: text, period: text, expires: text });

/** A batch as the page lists it: its lines' count and total, not the lines. */
const brief = ({ lines, ...batch }: SubsidyBatch) => ({ ...batch, lines: lines.length, amount: lines.reduce((sum, l) => sum + l.amount, 0) });

export const subsidiesSection: Section = {
  id: 'subsidies',
  title: { zh: '补助', en: 'Subsidies' },
  routes(r, gateway) {
    const { subsidies } = gateway;
    r.read('subsidies', 'viewer', async () => ({ report: await subsidies.report(), batches: (await subsidies.batches()).map(brief) }));
    r.act('subsidies/batches', 'operator', 'subsidy.import', async (req) => {
      const body = importSchema.safeParse(req.body);
      if (!body.success) throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {csv, file?}: the CSV text and its file name');
      return { batch: brief(await subsidies.import(body.data.csv, body.data.file)) };
    });
    r.act('subsidies/issue', 'operator', 'subsidy.issue', async (req) => {
      const body = issueSchema.safeParse(req.body);
      if (!body.success) throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {account, amount, reason, period, expires}');
      return { batch: brief(await subsidies.issue(body.data)) };
    });
  },
};
