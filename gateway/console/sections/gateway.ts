/**
 * The gateway itself: whether it makes progress (the checks of /health), which process serves and on which store,
 * and the standby waiting to take the store over when one is configured. Read only: nothing here changes anything.
 */
import { GATEWAY_SESSION } from '../../store/pg-store.ts';
import type { Section } from '../section.ts';

export const gatewaySection: Section = {
  id: 'gateway',
  title: { zh: '前置机', en: 'Gateway' },
  routes(r, gateway) {
    r.read('gateway', 'viewer', async () => ({
      process: GATEWAY_SESSION,
      version: gateway.version,
      store: gateway.store.location,
      health: await gateway.health.check(),
      // No standby configured: absent. A database that did not answer: null, and the health check says why.
      ...(gateway.standbys ? { standbys: await gateway.standbys().catch(() => null) } : {}),
    }));
  },
};
