/**
 * Signed remote commands end to end on a real Mosquitto: sent by the gateway's sender (gateway/commands/) or published
 * raw by the test's own client, answered by kiosk K001 built by board/kiosk-assembly.ts, every effect read from the
 * broker, the screen the kiosk draws, or the simulated printer's paper. The certificates come from the openssl CLI.
 * Figures from config/embedded.json: 张三's card 10.00, PIN 123456.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { sign } from 'node:crypto';
import { signedBytes, topics, type SignedCommand } from '../../common/api/topics.ts';
import { sendCommand, signCommand, type CommandSigner } from '../../gateway/commands/command-sender.ts';
import { maskDigits } from '../../runtime/commands/remote-commands.ts';
import { waitForView } from '../support/kiosk-screens.ts';
import { STATE_TOPIC } from '../support/kiosk-watch.ts';
import { loadAtKiosk, startCommandKiosk, ZHANG, type CommandKiosk } from '../support/command-kiosk.ts';
import { lastJson, quancunWithEnv } from '../support/cli.ts';

const RESULTS = (name: string) => `quancun/v1/kiosk/K001/command-result/${name}`;
const BANK_PAN = '6217000010000000018';

/** Publishes a command as is (raw) and resolves with its final result as the broker carried it. */
async function publishRaw(k: CommandKiosk, name: string, body: Record<string, unknown>) {
  await k.watch.client.publishAsync(topics.command('K001', name), JSON.stringify(body), { qos: 1 });
  return k.watch.next(RESULTS(name), (r) => r.id === body.id && r.status !== 'waiting');
}

/** Signs with `signer` and sends it with the gateway's sender. */
function send(k: CommandKiosk, name: Parameters<typeof signCommand>[1], args: Record<string, unknown>, signer: CommandSigner = k.certs.gateway) {
  return sendCommand(signCommand('K001', name, args as never, signer), signer, { url: k.brokerUrl, timeoutMs: 20_000 });
}

test('each command acts and answers: out of service with its reason on screen and back, test print, log level, diagnostics without secrets, resync, announcements', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const { kiosk } = k.assembled;
  const { ui } = k.screens;

  t.like(await send(k, 'out-of-service', { reason: '设备检修 until 14:00' }, k.certs.operator), { status: 'done', data: { mode: 'out-of-service' } });
  t.like(await k.watch.next(STATE_TOPIC, { mode: 'out-of-service' }), { online: true, reason: 'OPERATOR_OUT_OF_SERVICE', note: '设备检修 until 14:00' });
  const drawn = await waitForView(ui, (v) => v.screen === 'out-of-service', 'the out-of-service screen');
  t.is(drawn.view.outOfService, 'OPERATOR_OUT_OF_SERVICE');
  t.is(drawn.view.outOfServiceNote, '设备检修 until 14:00');
  t.like(await send(k, 'in-service', {}), { status: 'done', data: { mode: 'in-service' } });
  await k.watch.next(STATE_TOPIC, { mode: 'in-service' });
  await waitForView(ui, (v) => v.screen === 'idle', 'the idle screen');

  const printer = k.assembled.devices.sim.printer!;
  t.like(await send(k, 'print-test', {}), { status: 'done', data: { printed: true } });
  const text = printer.receipts.at(-1)!.lines.flatMap((l) => (l.kind === 'text' ? l.runs.map((r) => r.text) : [])).join('\n');
  t.regex(text, /TEST PRINT/);
  t.regex(text, /K001/);

  t.like(await send(k, 'set-log-level', { level: 'debug' }), { status: 'done', data: { level: 'debug', previous: 'info' } });

  // A load first, so the log ring holds a whole card session; then nothing in the diagnostics may name the card.
  t.like(await loadAtKiosk(k, 5000), { state: 'completed', cardAfter: 6000 });
  // The load's report leaves the outbox in the background: the diagnostics below are taken once it has.
  await kiosk.journal.outbox.drain(kiosk.link);
  const diagnostics = await send(k, 'diagnostics', {});
  t.is(diagnostics.status, 'done');
  const data = diagnostics.data as { logLevel: string; log: Array<{ msg: string }>; journal: unknown };
  t.is(data.logLevel, 'debug');
  t.deepEqual(data.journal, { open: {}, outboxDepth: 0 });
  t.true(data.log.some((r) => r.msg === 'command accepted'), 'recent log lines are there');
  const wire = JSON.stringify(diagnostics);
  for (const secret of [ZHANG.asn, BANK_PAN, BANK_PAN.slice(-12), '000010000000'] ) t.false(wire.includes(secret), `no ${secret}`);
  t.notRegex(wire, /[0-9A-F]{16,}/i, 'no key, PIN block or MAC-length hex');

  t.like(await send(k, 'resync', {}), { status: 'done', data: { openRecords: 0, outboxDepth: 0 } });
  await k.watch.next(STATE_TOPIC, { online: true, mode: 'in-service' });

  writeFileSync(k.configPath, JSON.stringify({
    ...k.config, announcements: [{ id: 'n1', date: '2025-09-01', title: { zh: '停电通知', en: 'Power cut' }, body: { zh: '周六停电', en: 'Saturday' } }],
  }));
  t.like(await send(k, 'refresh-announcements', {}), { status: 'done', data: { announcements: 1 } });
  const idle = await waitForView(ui, (v) => v.screen === 'idle' && v.announcements?.length === 1, 'the idle screen with the new notice');
  t.is(idle.view.announcements![0]!.id, 'n1');
  t.is(kiosk.status.reason, null);
});

test('unsigned, badly signed, expired, untrusted, non-signer, replayed and unknown commands are refused with their codes and change nothing', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const { kiosk } = k.assembled;
  const hold = { reason: 'should never show' };
  const refused = async (body: Record<string, unknown>, code: string, name = 'out-of-service') => {
    t.like(await publishRaw(k, name, body), { status: 'refused', command: name, error: { code } }, code);
  };

  const good = signCommand('K001', 'out-of-service', hold, k.certs.gateway);
  const { signature: _s, issuer: _i, ...unsigned } = good;
  await refused(unsigned, 'COMMAND_UNSIGNED');
  await refused({ ...good, args: { reason: 'changed after signing' } }, 'COMMAND_SIGNATURE_INVALID');
  // The same fields signed by another key: the signature does not match the certificate it came with.
  const otherKey = sign('sha256', signedBytes(good), { key: k.certs.operator.keyPem, dsaEncoding: 'der' }).toString('base64');
  await refused({ ...good, signature: otherKey }, 'COMMAND_SIGNATURE_INVALID');
  await refused(signCommand('K001', 'out-of-service', hold, k.certs.gateway, { now: new Date(Date.now() - 3600_000), ttlSeconds: 600 }), 'COMMAND_EXPIRED');
  await refused(signCommand('K001', 'out-of-service', hold, k.certs.gateway, { now: new Date(Date.now() + 600_000) }), 'COMMAND_EXPIRED');
  await refused(signCommand('K001', 'out-of-service', hold, k.certs.outsider), 'COMMAND_UNTRUSTED');
  await refused(signCommand('K001', 'out-of-service', hold, k.certs.kiosk), 'COMMAND_UNTRUSTED');
  await refused(signCommand('K002', 'out-of-service', hold, k.certs.gateway), 'LINK_BAD_MESSAGE');
  const unknown = signCommand('K001', 'in-service', {}, k.certs.gateway);
  await refused({ ...unknown, command: 'self-destruct', signature: sign('sha256', signedBytes({ ...unknown, command: 'self-destruct' }), { key: k.certs.gateway.keyPem, dsaEncoding: 'der' }).toString('base64') }, 'COMMAND_UNKNOWN', 'self-destruct');

  t.is(kiosk.status.reason, null, 'still in service');
  t.is(k.screens.ui.state.screen, 'idle');

  // Once accepted, the same command again is a replay.
  const once = signCommand('K001', 'print-test', {}, k.certs.gateway);
  t.like(await publishRaw(k, 'print-test', once), { status: 'done' });
  await refused(once, 'COMMAND_REPLAYED', 'print-test');
  t.is(k.assembled.devices.sim.printer!.receipts.length, 1, 'printed once');
});

test('a command waits for the load in progress, says so, then acts; restart stops the kiosk and exits, and the nonce survives it', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const { kiosk, devices } = k.assembled;
  const keypad = devices.sim.keypad!;

  // The PIN pad asks for the PIN: the load is under way and waits for the cardholder.
  const pinAsked = new Promise<void>((resolve) => keypad.once('entry', () => resolve()));
  devices.sim.reader!.insert(k.system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  const load = kiosk.load(session, 5000);
  await pinAsked;
  const cmd = signCommand('K001', 'out-of-service', { reason: 'after this load' }, k.certs.gateway);
  await k.watch.client.publishAsync(topics.command('K001', 'out-of-service'), JSON.stringify(cmd), { qos: 1 });
  t.like(await k.watch.next(RESULTS('out-of-service'), { id: cmd.id, status: 'waiting' }), { reason: 'card session in progress' });
  t.is(kiosk.status.reason, null, 'nothing done while the load runs');
  keypad.type(ZHANG.pin);
  keypad.enter();
  t.like(await load, { state: 'completed', cardAfter: 6000 });
  await session.channel.close();
  t.like(await k.watch.next(RESULTS('out-of-service'), { id: cmd.id, status: 'done' }), { data: { mode: 'out-of-service' } });
  const held = await k.watch.next(STATE_TOPIC, { online: true, mode: 'out-of-service' });

  const restart = signCommand('K001', 'restart', {}, k.certs.operator);
  const exit = k.nextExit();
  t.like(await publishRaw(k, 'restart', restart), { status: 'done', data: { restarting: true } });
  t.like(await k.watch.next(STATE_TOPIC, { online: false }), { reason: 'stopped' });
  t.is(await exit, 0);
  t.false(kiosk.journalOpen, 'stopped before the exit');

  // Started again on the same journal: still out of service for the operator, and the old command is a replay.
  const again = await k.rebuild();
  const birth = await k.watch.next(STATE_TOPIC, (s) => s.online === true && (s.seq as number) > (held.seq as number));
  t.like(birth, { mode: 'out-of-service', note: 'after this load' });
  t.like(await publishRaw(k, 'out-of-service', cmd), { status: 'refused', error: { code: 'COMMAND_REPLAYED' } });
  t.is(again.kiosk.status.note, 'after this load');
});

test('quancun command signs with the given key and certificate, prints the final result and exits 0', async (t) => {
  t.timeout(90_000);
  const k = await startCommandKiosk(t);
  const dir = k.configPath.replace(/kiosk\.json$/, '');
  const gatewayConfig = `${dir}gateway.json`;
  writeFileSync(gatewayConfig, JSON.stringify({ ...k.system.loaded.config, mqtt: { ...k.system.loaded.config.mqtt, url: k.brokerUrl } }));
  const { code, stdout } = await quancunWithEnv({}, 'command', 'K001', 'out-of-service', '--reason', 'CLI test',
    '--key', k.certs.operatorFiles.key, '--cert', k.certs.operatorFiles.cert, '--config', gatewayConfig);
  t.is(code, 0);
  t.like(lastJson(stdout), { status: 'done', command: 'out-of-service', data: { mode: 'out-of-service' } });
  t.like(await k.watch.next(STATE_TOPIC, { mode: 'out-of-service' }), { note: 'CLI test' });
});

test('diagnostics masks card numbers and drops key-length hex that a log line might carry', (t) => {
  t.deepEqual(maskDigits({ msg: 'card 31030000002023010001 pan 6217000010000000018 key 0123456789ABCDEFFEDCBA9876543210 txn K001-00000001' }), {
    msg: 'card ****************0001 pan ***************0018 key [hex] txn K001-00000001',
  });
});
