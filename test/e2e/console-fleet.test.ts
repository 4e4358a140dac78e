/**
 * The console's fleet section and its /metrics and /health over HTTP, as the page and the campus monitoring call them,
 * on a real Mosquitto with kiosk K001 (test/support/command-kiosk.ts) whose gateway signs commands with the campus CA's
 * gateway.test certificate. Roles are checked on the server: a viewer's command never reaches the kiosk.
 */
import test from 'ava';
import type { QuancunError } from '../../common/errors.ts';
import { loadAtKiosk, startCommandKiosk } from '../support/command-kiosk.ts';
import { TEST_CONSOLE, withConsoleUsers } from '../support/console.ts';
import { waitForView } from '../support/kiosk-screens.ts';
import { parsePrometheusText, sampleValue } from '../support/prometheus-text.ts';

const codeOf = (p: Promise<unknown>) => p.then(() => 'ok', (err: QuancunError) => `${err.code} ${String(err.details.status)}`);

interface KioskRow { id: string; online: boolean; mode: string | null; note?: string; today: { count: number; amount: number } }

test('the fleet over HTTP: kiosks and a kiosk\'s page for a viewer, commands for an operator only, each audited; /metrics and /health', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t, { gateway: (c) => void ((c.console = { ...TEST_CONSOLE }), (c.commands = { ...c.commands, timeoutSeconds: 2 })) });
  const s = await withConsoleUsers(k.system);
  const viewer = await s.signIn('viewer');
  const operator = await s.signIn('operator');
  const printer = k.assembled.devices.sim.printer!;

  t.like(await loadAtKiosk(k, 5000), { state: 'completed' });
  const list = await viewer.get<{ brokerConnected: boolean; kiosks: KioskRow[] }>('fleet/kiosks');
  t.true(list.brokerConnected);
  t.like(list.kiosks, [{ id: 'K001', online: true, mode: 'in-service', today: { count: 1, amount: 5000 } }, { id: 'K002', online: false, mode: null }]);
  const page = await viewer.get<{ kiosk: KioskRow; history: unknown[]; loads: Array<{ state: string; amount: number }>; commands: unknown[] }>('fleet/kiosks/K001');
  t.like(page, { kiosk: { id: 'K001' }, loads: [{ state: 'completed', amount: 5000 }], commands: [] });
  t.false(JSON.stringify(page).includes('31030000002023010001'), 'no card serial on the page');
  t.is(await codeOf(viewer.get('fleet/kiosks/K999')), 'KIOSK_UNKNOWN 404');

  // The server decides: a viewer's command is refused before it is signed or sent.
  t.is(await codeOf(viewer.post('fleet/kiosks/K001/command', { command: 'print-test' })), 'CONSOLE_FORBIDDEN 403');
  t.deepEqual(k.system.gateway.fleet.commands('K001'), []);
  t.is(printer.receipts.length, 0);

  t.like(await operator.post('fleet/kiosks/K001/command', { command: 'print-test' }), { result: { status: 'done', data: { printed: true } } });
  t.is(printer.receipts.length, 1);
  t.like(await operator.post('fleet/kiosks/K001/command', { command: 'out-of-service', reason: '设备检修 until 14:00' }),
    { result: { status: 'done', data: { mode: 'out-of-service' } } });
  await waitForView(k.screens.ui, (v) => v.screen === 'out-of-service' && v.outOfServiceNote === '设备检修 until 14:00', 'the out-of-service screen');
  t.like((await viewer.get<{ kiosk: KioskRow }>('fleet/kiosks/K001')).kiosk, { mode: 'out-of-service', note: '设备检修 until 14:00' });
  t.like(await operator.post('fleet/kiosks/K001/command', { command: 'in-service' }), { result: { status: 'done', data: { mode: 'in-service' } } });

  t.is(await codeOf(operator.post('fleet/kiosks/K001/command', { command: 'out-of-service' })), 'CONSOLE_BAD_REQUEST 400');
  t.is(await codeOf(operator.post('fleet/kiosks/K001/command', { command: 'diagnostics' })), 'CONSOLE_BAD_REQUEST 400');
  t.is(await codeOf(operator.post('fleet/kiosks/K002/command', { command: 'resync' })), 'COMMAND_TIMEOUT 400');
  t.like((await viewer.get<{ commands: unknown[] }>('fleet/kiosks/K002')).commands, [{ command: 'resync', status: 'error', error: { code: 'COMMAND_TIMEOUT' } }]);

  const admin = await s.signIn('admin');
  const { entries } = await admin.get<{ entries: Array<{ user: string; action: string; result: string; code?: string; target: { id?: string }; details: Record<string, unknown> }> }>('audit?action=kiosk.command');
  t.deepEqual(entries.map((e) => [e.user, e.target.id, e.details.command, e.result, e.code ?? '']), [
    ['olga', 'K002', 'resync', 'failed', 'COMMAND_TIMEOUT'],
    ['olga', 'K001', 'diagnostics', 'failed', 'CONSOLE_BAD_REQUEST'],
    ['olga', 'K001', 'out-of-service', 'failed', 'CONSOLE_BAD_REQUEST'],
    ['olga', 'K001', 'in-service', 'ok', ''],
    ['olga', 'K001', 'out-of-service', 'ok', ''],
    ['olga', 'K001', 'print-test', 'ok', ''],
    ['vera', 'K001', 'print-test', 'refused', 'CONSOLE_FORBIDDEN'],
  ]);
  t.is(entries.find((e) => e.details.reason)?.details.reason, '设备检修 until 14:00');

  const metrics = await fetch(`${s.consoleUrl}/metrics`);
  t.is(metrics.status, 200);
  t.regex(metrics.headers.get('content-type')!, /^text\/plain; version=0\.0\.4/);
  const m = parsePrometheusText(await metrics.text());
  t.is(sampleValue(m, 'quancun_loads_total', { outcome: 'completed' }), 1);
  t.is(sampleValue(m, 'quancun_kiosks_online'), 1);
  const health = await fetch(`${s.consoleUrl}/health`);
  t.is(health.status, 200);
  t.like(await health.json(), { status: 'ok', checks: { journal: { ok: true }, broker: { ok: true }, reversals: { ok: true }, 'bank:unionpay': { ok: true } } });
});
