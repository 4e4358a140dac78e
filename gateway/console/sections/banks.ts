/** Banks: each link's session, answer times of a day, recent session messages, settlement runs; sign on again, line check now. */
import type { Section } from '../section.ts';

const RECENT_MESSAGES = 50;

export const banksSection: Section = {
  id: 'banks',
  title: { zh: '银行', en: 'Banks' },
  routes(r, gateway) {
    const sessions = gateway.bankSessions;
    r.read('banks', 'viewer', async () => ({ banks: sessions.list() }));
    r.read('banks/:id', 'viewer', async (req) => {
      const id = req.params.id!;
      return {
        session: sessions.get(id),
        answerTimes: await sessions.answerTimes(id, req.query.date || undefined),
        settlements: await sessions.settlementRuns(id),
        messages: await gateway.isoMessages.forBank(id, { newestFirst: true, limit: RECENT_MESSAGES }),
      };
    });
    r.act('banks/:id/sign-on', 'operator', 'bank.sign-on', async (req) => ({ session: await sessions.signOnAgain(req.params.id!) }));
    r.act('banks/:id/line-check', 'operator', 'bank.line-check', async (req) => ({ lineCheck: await sessions.lineCheckNow(req.params.id!) }));
    sessions.on('change', (session) => r.push('banks.session', session));
  },
};
