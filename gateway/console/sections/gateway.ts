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
    r.read('gateway', 'viewer', async () => {
      // Asked once: the standby check and the list are the same answer.
      const asked = gateway.standbys?.();
      const standbys = asked?.catch(() => null);
      return {
        process: GATEWAY_SESSION,
        version: gateway.version,
        store: gateway.store.location,
        health: await gateway.health.check(asked ? { standbys: asked } : {}),
        // No standby configured: absent. A database that did not answer: null, and the health check says why.
        ...(standbys ? { standbys: await standbys } : {}),
      };
    });
  },
};
