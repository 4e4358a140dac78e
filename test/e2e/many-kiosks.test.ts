/**
 * One gateway, two kiosks, two banks: a bank that answers slowly holds up only the loads that go to it. 张三 loads at
 * K001 through `unionpay`; 李四's card is bound here to a second bank, `slowbank`, whose host takes 5 s per answer,
 * and loads at K002 at the same time. Figures from config/embedded.json and the edit below.
 */
import test from 'ava';
import type { LoadStep } from '../../runtime/flows/load/load-flow.ts';
import { loadAt, startTestSystem } from '../support/kiosk-system.ts';

const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', pin: '123456' };
const LI = { asn: '31030000002023010002', pan: '6228480000000000015', pin: '654321' };

test('a slow bank holds up only its own loads: K001 completes through the fast bank while K002 waits on the slow one', async (t) => {
  const system = await startTestSystem(t, {
    kioskIds: ['K001', 'K002'],
    edit: (c) => {
      c.banks.push({ ...c.banks[0]!, id: 'slowbank', terminalId: 'QC000002', tmk: '0123456789ABCDEFFEDCBA9876543210' });
      Object.assign(c.cardholders.find((h) => h.asn === LI.asn)!, { bankId: 'slowbank', bankPan: LI.pan });
      c.simulation!.bankAccounts.push({ bankId: 'slowbank', pan: LI.pan, balance: 80_000, pin: LI.pin });
    },
  });
  const slow = system.banks.get('slowbank')!;
  slow.setBehaviour({ latencyMs: 5000 });

  let liSettled = false;
  const k2 = system.kiosks.get('K002')!.kiosk;
  const atBank = new Promise<void>((resolve) => k2.on('step', (s: LoadStep) => s === 'bank' && resolve()));
  const liLoad = loadAt(system, 'K002', LI, 3000).finally(() => (liSettled = true));
  await atBank;

  const zhang = await loadAt(system, 'K001', ZHANG, 2000);
  t.like(zhang, { state: 'completed', cardBefore: 1000, cardAfter: 3000, tacVerified: true });
  t.false(liSettled, 'the load at the slow bank is still waiting for its answer');

  t.like(await liLoad, { state: 'completed', cardBefore: 0, cardAfter: 3000, tacVerified: true });
  t.is(system.bank.balanceOf(ZHANG.pan), 500_000 - 2000);
  t.is(slow.balanceOf(LI.pan), 80_000 - 3000);
  // STANs are unique per terminal id, not across banks: QC000001 (unionpay) and QC000002 (slowbank) each count on
  // their own journaled counter, so both transfers follow their terminal's sign-on as 000002.
  const sent = (bank: typeof slow) => bank.log.map((e) => [e.terminalId, e.op, e.stan]);
  t.deepEqual(sent(system.bank), [['QC000001', 'signOn', '000001'], ['QC000001', 'transfer', '000002']]);
  t.deepEqual(sent(slow), [['QC000002', 'signOn', '000001'], ['QC000002', 'transfer', '000002']]);
  t.is(system.cards.get(LI.asn)!.state().balance, 3000);
});
