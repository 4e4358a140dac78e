/** The audit log: every console action with who, when and the result; filtered, and exported as CSV. */
import type { Section } from '../section.ts';
import { auditCsv, type AuditQuery } from '../audit-log.ts';

const queryOf = (q: Record<string, string>): AuditQuery => ({
  ...(q.user ? { user: q.user } : {}), ...(q.action ? { action: q.action } : {}),
  ...(q.from ? { from: q.from } : {}), ...(q.until ? { until: q.until } : {}),
});

export const auditSection: Section = {
  id: 'audit',
  title: { zh: '审计日志', en: 'Audit log' },
  routes(r, gateway) {
    r.read('audit', 'viewer', async (req) => ({ entries: await gateway.console!.audit.query({ ...queryOf(req.query), limit: 500 }) }));
    r.download('audit.csv', 'viewer', async (req) => ({
      filename: `audit-${new Date().toISOString().slice(0, 10)}.csv`,
      type: 'text/csv; charset=utf-8',
      body: auditCsv(await gateway.console!.audit.query(queryOf(req.query))),
    }));
  },
};
