/**
 * The fleet (设备): every kiosk with its state, faults, last telemetry, version and loads today, live; a kiosk's page
 * with its telemetry over time, its recent loads and the commands sent to it; and the remote commands an operator may
 * send from the console (gateway/fleet/, docs/remote-commands.md). A command the kiosk refused or could not carry out
 * is an error answer with the kiosk's code, so the audit log records it as failed with that code.
 */
import { z } from 'zod';
import { QuancunError } from '../../../common/errors.ts';
import type { Section } from '../section.ts';

/** The commands the console offers: the fleet-link work's operator commands. */
const commandSchema = z.discriminatedUnion('command', [
  z.object({ command: z.literal('out-of-service'), reason: z.string().trim().min(1).max(200) }).strict(),
  z.object({ command: z.enum(['in-service', 'restart', 'resync', 'print-test']) }).strict(),
]);

export const fleetSection: Section = {
  id: 'fleet',
  title: { zh: '设备', en: 'Fleet' },
  routes(r, gateway) {
    const { fleet } = gateway;
    r.read('fleet/kiosks', 'viewer', async () => ({ brokerConnected: fleet.brokerConnected, kiosks: fleet.kiosks() }));
    r.read('fleet/kiosks/:id', 'viewer', async (req) => {
      const id = req.params.id!;
      return { kiosk: fleet.kiosk(id), history: fleet.history(id), loads: await fleet.recentLoads(id), commands: fleet.commands(id) };
    });
    r.act('fleet/kiosks/:id/command', 'operator', 'kiosk.command', async (req) => {
      const parsed = commandSchema.safeParse(req.body);
      if (!parsed.success) {
        throw new QuancunError('CONSOLE_BAD_REQUEST', 'expected {command: "out-of-service", reason} or {command: "in-service" | "restart" | "resync" | "print-test"}');
      }
      const { command, ...args } = parsed.data;
      const result = await fleet.command(req.params.id!, command, args);
      if (result.status !== 'done') {
        throw new QuancunError(result.error?.code ?? 'INTERNAL', `${req.params.id} ${result.status} ${command}: ${result.error?.message ?? 'no reason given'}`);
      }
      return { result };
    });
    fleet.on('kiosk', (kiosk) => r.push('fleet.kiosk', kiosk));
    fleet.on('command', (record) => r.push('fleet.command', record));
    fleet.on('link', (up) => r.push('fleet.link', { brokerConnected: up }));
  },
};
