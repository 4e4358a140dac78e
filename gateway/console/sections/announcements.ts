/**
 * Announcements (公告) in the console: every one with its status (scheduled, live, expired, withdrawn), and for an
 * operator the form that publishes one (zh and en, all kiosks / a campus / chosen kiosks, from–until) and the
 * withdrawal. The gateway's announcement service checks everything; the page only shows (docs/announcements.md).
 */
import { announcementLimits } from '../../../common/api/topics.ts';
import type { Section } from '../section.ts';

export const announcementsSection: Section = {
  id: 'announcements',
  title: { zh: '公告', en: 'Announcements' },
  routes(r, gateway) {
    const { announcements } = gateway;
    r.read('announcements', 'viewer', async () => ({
      announcements: await announcements.list(),
      campuses: announcements.campuses,
      kiosks: announcements.kiosks,
      limits: announcementLimits,
    }));
    r.read('announcements/:id', 'viewer', async (req) => ({ announcement: await announcements.get(req.params.id!) }));
    r.act('announcements', 'operator', 'announcement.publish', async (req) => ({ announcement: await announcements.publish(req.body, req.user.name) }));
    r.act('announcements/:id/withdraw', 'operator', 'announcement.withdraw', async (req) => ({
      announcement: await announcements.withdraw(req.params.id!, req.user.name),
    }));
    announcements.on('change', (announcement) => r.push('announcement', announcement));
  },
};
