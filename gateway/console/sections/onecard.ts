/**
 * The campus's one-card system (gateway/onecard/): which kind the gateway uses, the postings waiting for it, and the
 * ones it refused (kept, never sent again on their own), each with what an operator may do: send it again once the
 * one-card system was put right, or set it aside with a note. With the built-in system there is nothing to deliver.
 */
import { z } from 'zod';
import { QuancunError } from '../../../common/errors.ts';
import { wireStatuses } from '../../onecard/one-card-system.ts';
import type { Section } from '../section.ts';

const noteSchema = z.object({ note: z.string().trim().min(1).max(1000) });
const statusSchema = z.enum(wireStatuses);

export const oneCardSection: Section = {
  id: 'onecard',
  title: { zh: '一卡通', en: 'One-card system' },
  routes(r, gateway) {
    const relay = gateway.oneCardRelay;
    r.read('onecard', 'viewer', async () => ({
      kind: gateway.oneCard.kind,
      ...(relay ? { delivery: relay.state, ...(await relay.refusals()) } : { refused: [], setAside: [] }),
    }));
    const refusal = (params: Record<string, string>) => {
      const status = statusSchema.safeParse(params.status);
      if (!relay || !status.success) throw new QuancunError('ONECARD_REFUSAL_UNKNOWN', `no refused ${params.status} posting of ${params.txnId} is kept`);
      return { relay, txnId: params.txnId!, status: status.data };
    };
    r.act('onecard/refused/:txnId/:status/resend', 'operator', 'onecard.resend', async (req) => {
      const { relay: rl, txnId, status } = refusal(req.params);
      return { resent: await rl.settleRefusal(txnId, status, { resend: true }) };
    });
    r.act('onecard/refused/:txnId/:status/set-aside', 'operator', 'onecard.set-aside', async (req) => {
      const body = noteSchema.safeParse(req.body);
      if (!body.success) throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {note}: why the posting is set aside');
      const { relay: rl, txnId, status } = refusal(req.params);
      return { setAside: await rl.settleRefusal(txnId, status, { resend: false, by: req.user.name, note: body.data.note }) };
    });
    if (relay) for (const event of ['delivered', 'refused'] as const) relay.on(event, () => r.push('onecard.changed', {}));
  },
};
