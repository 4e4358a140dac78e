/**
 * A stop never cuts a money step short: drain() refuses new transactions at once (KIOSK_STOPPING) and waits for the
 * load in progress to end, here one waiting for its PIN. Figures from config/embedded.json: 张三's card 10.00, PIN 123456.
 */
import test from 'ava';
import { once } from 'node:events';
import { QuancunError } from '../../common/errors.ts';
import { startTestSystem } from '../support/kiosk-system.ts';

const ZHANG = { asn: '31030000002023010001', pin: '123456' };

test('a stop while a load waits for its PIN: no new load starts, the stop waits, and the load completes first', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk, reader, keypad } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  const entry = once(keypad, 'entry');
  const loading = kiosk.load(session, 5000);
  await entry;

  let drained: boolean | undefined;
  const draining = kiosk.drain(30_000).then((idle) => (drained = idle));
  await t.throwsAsync(kiosk.load(session, 100), { instanceOf: QuancunError, code: 'KIOSK_STOPPING' });
  t.is(drained, undefined, 'the stop waits for the load');

  keypad.type(ZHANG.pin);
  keypad.enter();
  t.like(await loading, { state: 'completed', cardAfter: 6000 });
  t.true(await draining);
});

test('a stop with nothing in progress is immediate and refuses what comes after', async (t) => {
  const system = await startTestSystem(t);
  const { kiosk } = system.kiosks.get('K001')!;
  t.true(await kiosk.drain(1));
  await t.throwsAsync(kiosk.collect({} as Parameters<typeof kiosk.collect>[0]), { instanceOf: QuancunError, code: 'KIOSK_STOPPING' });
});
