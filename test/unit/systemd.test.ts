/**
 * The process's side of systemd: sd_notify datagrams as systemd's own notify socket receives them (a real unix
 * datagram socket bound here), the watchdog fed only while every check passes, and log records in the journal's
 * native protocol. Expected bytes are written out from sd_notify(3) and systemd's journal protocol documentation.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { silentLogger } from '../../common/log.ts';
import { journalEntry, journalFieldName } from '../../common/systemd/journal-sink.ts';
import { connectServiceManager, startWatchdog } from '../../common/systemd/service-manager.ts';
import { notifySocket } from '../support/notify-socket.ts';

test('READY, STATUS and STOPPING as sd_notify(3) spells them', async (t) => {
  const systemd = await notifySocket(t);
  const manager = connectServiceManager(silentLogger, { NOTIFY_SOCKET: systemd.path });
  t.teardown(() => manager.close());
  t.true(manager.active);
  t.is(manager.watchdogMs, undefined);
  manager.ready('in service');
  t.is(await systemd.next(), `READY=1\nSTATUS=in service\nMAINPID=${process.pid}`);
  manager.status('out of service:\nREADER_UNAVAILABLE');
  t.is(await systemd.next(), 'STATUS=out of service: READER_UNAVAILABLE');
  manager.stopping('waiting for the transaction in progress to end');
  t.is(await systemd.next(), 'STOPPING=1\nSTATUS=waiting for the transaction in progress to end');
});

test('outside systemd nothing is sent and there is no watchdog', (t) => {
  const manager = connectServiceManager(silentLogger, {});
  t.false(manager.active);
  t.is(manager.watchdogMs, undefined);
  t.notThrows(() => manager.ready('in service'));
});

test("the watchdog is fed only while every check passes, and only when WATCHDOG_PID is this process's", async (t) => {
  const systemd = await notifySocket(t);
  const another = connectServiceManager(silentLogger, { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid + 1) });
  another.close();
  t.is(another.watchdogMs, undefined);
  const manager = connectServiceManager(silentLogger, { NOTIFY_SOCKET: systemd.path, WATCHDOG_USEC: '400000', WATCHDOG_PID: String(process.pid) });
  t.teardown(() => manager.close());
  t.is(manager.watchdogMs, 400);
  // The journal check fails on rounds 2 and 3; each round reports itself, so the order of datagrams shows which pinged.
  let round = 0;
  const stop = startWatchdog(manager, [
    { name: 'round', check: async () => manager.status(`round ${++round}`) },
    { name: 'journal', check: async () => { if (round === 2 || round === 3) throw new Error('disk gone'); } },
  ], silentLogger);
  t.teardown(stop);
  t.deepEqual([await systemd.next(), await systemd.next()], ['STATUS=round 1', 'WATCHDOG=1']);
  t.deepEqual([await systemd.next(), await systemd.next(), await systemd.next(), await systemd.next()], ['STATUS=round 2', 'STATUS=round 3', 'STATUS=round 4', 'WATCHDOG=1']);
});

test('a log record as one native journal entry, its fields as QUANCUN_* names', (t) => {
  t.is(journalFieldName('txnId'), 'QUANCUN_TXN_ID');
  t.is(journalFieldName('kiosk'), 'QUANCUN_KIOSK');
  t.is(journalFieldName('bank-id'), 'QUANCUN_BANK_ID');
  const entry = journalEntry('quancun-kiosk', {
    t: '2026-12-06T12:00:00.000Z', level: 'warn', msg: 'device fault', kiosk: 'K001', device: 'card-reader', faults: 2, detail: 'line 1\nline 2',
  });
  // Text fields as KEY=value lines; a value with a newline as KEY, newline, its length (u64 LE), the bytes, newline.
  const expected = Buffer.concat([
    Buffer.from('MESSAGE=device fault\nPRIORITY=4\nSYSLOG_IDENTIFIER=quancun-kiosk\nQUANCUN_KIOSK=K001\nQUANCUN_DEVICE=card-reader\nQUANCUN_FAULTS=2\nQUANCUN_DETAIL\n'),
    Buffer.from([13, 0, 0, 0, 0, 0, 0, 0]),
    Buffer.from('line 1\nline 2\n'),
  ]);
  t.is(entry.toString('hex'), expected.toString('hex'));
});

test("the deploy/ units pass systemd-analyze verify, ignoring only the restart backoff keys systemd 252 predates", (t) => {
  const units = ['quancun-kiosk.service', 'quancun-gateway.service'].map((u) => join(import.meta.dirname, '../../deploy', u));
  const run = spawnSync('systemd-analyze', ['verify', ...units], { encoding: 'utf8' });
  t.is(run.status, 0, run.stderr);
  const complaints = run.stderr.split('\n').filter((l) => l && !/Unknown key '(RestartSteps|RestartMaxDelaySec)' in section \[Service\], ignoring\.$/.test(l));
  t.deepEqual(complaints, []);
});
