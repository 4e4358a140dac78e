/**
 * No STAN repeats on a bank terminal within a day, across gateway restarts: the embedded system's gateway is stopped
 * and a new one started on the same journal (LevelDB on disk) twice, with loads at K001, line checks, a sign-on and a
 * settlement in between. Every message the bank simulator received from terminal QC000001 (config/embedded.json)
 * is read back from its log.
 */
import test from 'ava';
import { once } from 'node:events';
import { silentLogger } from '../../common/log.ts';
import { Gateway } from '../../gateway/gateway.ts';
import type { KioskLink } from '../../runtime/link/kiosk-link.ts';
import { VERSION } from '../../sim/embedded-system.ts';
import { loadAt, startTestSystem, type TestSystem } from '../support/kiosk-system.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };

/** Resolves once the kiosk's link says the gateway is (or is not) there. */
function linkIs(link: KioskLink, online: boolean): Promise<unknown> {
  return link.online === online ? Promise.resolve() : once(link, online ? 'online' : 'offline');
}

test('sign-ons, line checks, transfers, settlement and sign-offs of three gateway runs in a day never repeat a STAN', async (t) => {
  const system = await startTestSystem(t);
  const link = system.kiosks.get('K001')!.kiosk.link;

  /** Stops `gateway` (it signs off) and starts a new one on the same data dir; the kiosk is served by it again. */
  const restart = async (gateway: Gateway, system: TestSystem): Promise<Gateway> => {
    await gateway.stop();
    await linkIs(link, false);
    const next = new Gateway({
      loaded: system.loaded, mqttUrl: system.mqttUrl, log: silentLogger, version: VERSION, dataDir: system.dataDir,
      bankAddresses: new Map([...system.banks].map(([id, b]) => [id, b.address()])),
    });
    // A second stop (after the test's own) finds everything closed already.
    t.teardown(() => next.stop());
    await next.start();
    await linkIs(link, true);
    return next;
  };
  const unionpay = (gateway: Gateway) => gateway.banks.get('unionpay')!.link;
  const loadOk = async (amount: number) => t.like(await loadAt(system, 'K001', ZHANG, amount), { state: 'completed', tacVerified: true });

  await loadOk(1000);
  await unionpay(system.gateway).echo();

  const second = await restart(system.gateway, system);
  await loadOk(2000);
  await unionpay(second).echo();
  t.like(await second.settlement.settle('unionpay'), { state: 'balanced' });
  await unionpay(second).signOn();

  const third = await restart(second, system);
  await loadOk(3000);
  await unionpay(third).echo();
  await third.stop();

  const sent = system.bank.log.filter((e) => e.terminalId === 'QC000001').map((e) => [e.op, e.stan]);
  t.deepEqual(sent, [
    ['signOn', '000001'], ['transfer', '000002'], ['echo', '000003'], ['signOff', '000004'],
    ['signOn', '000005'], ['transfer', '000006'], ['echo', '000007'], ['settlement', '000008'], ['signOn', '000009'], ['signOff', '000010'],
    ['signOn', '000011'], ['transfer', '000012'], ['echo', '000013'], ['signOff', '000014'],
  ]);
  const stans = sent.map(([, stan]) => stan);
  t.is(new Set(stans).size, stans.length, 'no STAN repeats on the terminal');
});
