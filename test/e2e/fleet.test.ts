/**
 * The gateway's fleet service (gateway/fleet/) on a real Mosquitto, following kiosk K001 as board/kiosk-assembly.ts
 * builds it (telemetry every second) and sending it signed commands over the gateway's own broker link. What the
 * fleet says is checked against what the test did to the kiosk: its printer's paper, its network cable, a load, the
 * commands. Figures from config/embedded.json: 张三's card 10.00, kiosks K001 and K002, bank unionpay.
 */
import test from 'ava';
import { join } from 'node:path';
import { parseConfig, type Config } from '../../common/config.ts';
import { gatewaySigner } from '../../gateway/commands/kiosk-commands.ts';
import type { Fleet, FleetKiosk } from '../../gateway/fleet/fleet.ts';
import { loadAtKiosk, startCommandKiosk } from '../support/command-kiosk.ts';
import { EMBEDDED_CONFIG, startTestSystem } from '../support/kiosk-system.ts';
import { makePki } from '../support/test-pki.ts';
import { waitForView } from '../support/kiosk-screens.ts';

/** K001's view once `accepts` holds, now or after a change the fleet announces. */
function view(fleet: Fleet, accepts: (k: FleetKiosk) => boolean, kioskId = 'K001'): Promise<FleetKiosk> {
  return new Promise((resolve) => {
    const check = (k: FleetKiosk) => {
      if (k.id !== kioskId || !accepts(k)) return;
      fleet.off('kiosk', check);
      resolve(k);
    };
    fleet.on('kiosk', check);
    check(fleet.kiosk(kioskId));
  });
}

/** The campus date (Asia/Shanghai) now, by Intl, as the business day counts it. */
const campusToday = () => new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai' }).format(new Date());

test('the fleet follows K001: its state, telemetry and history, a paper fault and its clearing, today\'s loads, a cut link and its return', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const { fleet } = k.system.gateway;
  const { devices } = k.assembled;

  const k1 = await view(fleet, (v) => v.online && v.mode === 'in-service' && v.telemetry !== undefined);
  t.like(k1, { configured: true, version: 'test', faults: [], today: { date: campusToday(), count: 0, amount: 0 } });
  t.like(fleet.kiosks().map((v) => ({ id: v.id, configured: v.configured, online: v.online, mode: v.mode })), [
    { id: 'K001', configured: true, online: true, mode: 'in-service' },
    { id: 'K002', configured: true, online: false, mode: null },
  ]);
  t.throws(() => fleet.kiosk('K999'), { code: 'KIOSK_UNKNOWN' });
  t.true(fleet.brokerConnected);

  devices.sim.printer!.setPaper('out');
  await devices.printer!.refreshStatus();
  const fault = await view(fleet, (v) => v.faults.length > 0);
  t.like(fault.faults, [{ device: 'receipt-printer', code: 'PRINTER_PAPER_OUT' }]);
  await view(fleet, (v) => v.telemetry?.paper === 'out');
  devices.sim.printer!.setPaper('ok');
  await devices.printer!.refreshStatus();
  await view(fleet, (v) => v.faults.length === 0);

  t.like(await loadAtKiosk(k, 5000), { state: 'completed', cardAfter: 6000 });
  t.like(await view(fleet, (v) => v.today.count === 1), { today: { count: 1, amount: 5000, byState: { completed: { count: 1, amount: 5000 } } } });
  const loads = await fleet.recentLoads('K001');
  t.is(loads.length, 1);
  t.like(loads[0], { state: 'completed', amount: 5000, bankId: 'unionpay' });
  t.regex(loads[0]!.txnId, /^K001-\d+$/);
  t.false(JSON.stringify(loads).includes('31030000002023010001'), 'no card serial in the list');

  await view(fleet, () => fleet.history('K001').length >= 3);
  const history = fleet.history('K001');
  t.true(history.every((p, i) => i === 0 || p.at >= history[i - 1]!.at), 'oldest first');
  t.true(history.every((p) => p.rssBytes > 0 && p.heapUsedBytes > 0 && p.outboxDepth >= 0));

  k.cable.unplug();
  t.like(await view(fleet, (v) => !v.online), { mode: 'offline' });
  k.cable.replug();
  // Back on the broker, the kiosk first says so in the mode it had (offline: it has not seen the gateway yet), then its
  // mode once it has: the view that counts is the first online one past that.
  t.like(await view(fleet, (v) => v.online && v.mode !== 'offline'), { mode: 'in-service' });
});

test('commands from the gateway act and answer; bad arguments, an unknown kiosk and one that does not answer are named errors', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t, { gateway: (c) => void (c.commands = { ...c.commands, timeoutSeconds: 3 }) });
  const { fleet } = k.system.gateway;
  const pushed: Array<{ command: string; status: string }> = [];
  fleet.on('command', (r) => pushed.push({ command: r.command, status: r.status }));

  t.like(await fleet.command('K001', 'out-of-service', { reason: '设备检修 until 14:00' }), { status: 'done', data: { mode: 'out-of-service' } });
  t.like(await view(fleet, (v) => v.mode === 'out-of-service'), { reason: 'OPERATOR_OUT_OF_SERVICE', note: '设备检修 until 14:00' });
  await waitForView(k.screens.ui, (v) => v.screen === 'out-of-service', 'the out-of-service screen');
  t.like(await fleet.command('K001', 'in-service', {}), { status: 'done', data: { mode: 'in-service' } });
  await view(fleet, (v) => v.mode === 'in-service');
  t.like(await fleet.command('K001', 'print-test', {}), { status: 'done', data: { printed: true } });
  t.is(k.assembled.devices.sim.printer!.receipts.length, 1);
  t.like(await fleet.command('K001', 'resync', {}), { status: 'done', data: { openRecords: 0, outboxDepth: 0 } });

  await t.throwsAsync(fleet.command('K001', 'out-of-service', {}), { code: 'LINK_BAD_MESSAGE', message: /args\.reason/ });
  await t.throwsAsync(fleet.command('K999', 'print-test', {}), { code: 'KIOSK_UNKNOWN' });
  await t.throwsAsync(fleet.command('K002', 'print-test', {}), { code: 'COMMAND_TIMEOUT' });
  t.like(fleet.commands('K002'), [{ command: 'print-test', status: 'error', error: { code: 'COMMAND_TIMEOUT' } }]);

  const exit = k.nextExit();
  t.like(await fleet.command('K001', 'restart', {}), { status: 'done', data: { restarting: true } });
  t.is(await exit, 0);

  t.deepEqual(fleet.commands('K001').map((c) => [c.command, c.status]), [
    ['restart', 'done'], ['out-of-service', 'error'], ['resync', 'done'], ['print-test', 'done'], ['in-service', 'done'], ['out-of-service', 'done'],
  ]);
  t.deepEqual(pushed.filter((p) => p.command === 'print-test').map((p) => p.status), ['done', 'error']);
});

test('without a signer a command is KEY_MISSING; a signer that is not a gateway\'s or an operator\'s is CONFIG_INVALID', async (t) => {
  const system = await startTestSystem(t);
  await t.throwsAsync(system.gateway.fleet.command('K001', 'print-test', {}), { code: 'KEY_MISSING', message: /commands\.signer/ });
  t.like(system.gateway.fleet.commands('K001'), [{ status: 'error', error: { code: 'KEY_MISSING' } }]);

  const pki = await makePki(t);
  const raw = ({ cert, key }: { cert: string; key: string }) => ({ ...system.loaded.config, commands: { signer: { cert, key }, timeoutSeconds: 30 } }) satisfies Config;
  const kiosk = pki.client('K002');
  t.throws(() => gatewaySigner(parseConfig(raw(kiosk), EMBEDDED_CONFIG)), { code: 'CONFIG_INVALID', message: /commands\.signer\.cert: its CN is "K002"/ });
  t.throws(() => gatewaySigner(parseConfig(raw({ cert: pki.client('gateway.a').cert, key: pki.client('operator.b').key }), EMBEDDED_CONFIG)),
    { code: 'CONFIG_INVALID', message: /commands\.signer: the certificate is not for the signing key/ });
  t.throws(() => gatewaySigner(parseConfig(raw({ cert: join(pki.dir, 'missing.crt'), key: kiosk.key }), EMBEDDED_CONFIG)),
    { code: 'CONFIG_INVALID', message: /commands\.signer\.cert: cannot read .*missing\.crt \(ENOENT\)/ });
  t.truthy(gatewaySigner(parseConfig(raw(pki.client('operator.b')), EMBEDDED_CONFIG)));
});
