/**
 * The gateway's side of torn and pending loads, asked directly over the kiosks' links: who may act on an owed load,
 * a park asked twice, and a fresh MAC2 refused to a card that does not prove itself. Figures: config/embedded.json.
 */
import test from 'ava';
import { startTestSystem } from '../support/kiosk-system.ts';
import { postingsOf, startTornLoad, ZHANG } from '../support/torn-load.ts';

const AMOUNT = 5000;
const BAD_INIT = { oldBalance: 1000, onlineCounter: 0, keyVersion: 1, algId: 0, random: '01020304', mac1: '00000000' };

test('while K001 waits for its torn card, K002 can neither take the load over nor load the card', async (t) => {
  const system = await startTestSystem(t, { kioskIds: ['K001', 'K002'] });
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'before');
  const { txnId } = await torn.rePresent;
  const k2 = system.kiosks.get('K002')!.kiosk.link;
  await t.throwsAsync(k2.request('load.park', { txnId }), { code: 'TXN_UNKNOWN' });
  await t.throwsAsync(k2.request('load.recredit', { txnId, terminalId: '000000000002', card: BAD_INIT }), { code: 'TXN_UNKNOWN' });
  await t.throwsAsync(k2.request('txn.status', { txnId }), { code: 'TXN_UNKNOWN' });
  // A load started elsewhere would move the card's counter and leave the torn one undecidable.
  await t.throwsAsync(k2.request('load.authorize', {
    txnId: 'K002-00000001', asn: ZHANG.asn, amount: 2000, terminalId: '000000000002', pinBlock: '0000000000000000', card: BAD_INIT,
  }), { code: 'PENDING_LOAD_FIRST' });
  t.like(await system.gateway.loads.loads.require(txnId), { state: 'mac2-issued', kioskId: 'K001' });

  system.kiosks.get('K001')!.reader!.insert(system.cards.get(ZHANG.asn)!);
  t.like(await torn.outcome, { state: 'completed', tacVerified: true });
});

test('a park asked twice parks once; a fresh MAC2 for a MAC1 that does not verify is refused and changes nothing', async (t) => {
  const system = await startTestSystem(t, { edit: (c) => void (c.limits.rePresentSeconds = 1) });
  const link = system.kiosks.get('K001')!.kiosk.link;
  const torn = await startTornLoad(system, 'K001', AMOUNT, 'before');
  const { txnId } = await torn.outcome;
  t.deepEqual(await link.request('load.park', { txnId }), { state: 'pending-load' });
  t.deepEqual(postingsOf(await system.gateway.ledger.postings()), [{ txnId, amount: AMOUNT, status: 'pending' }]);

  const before = await system.gateway.loads.loads.require(txnId);
  await t.throwsAsync(link.request('load.recredit', { txnId, terminalId: '000000000001', card: BAD_INIT }), { code: 'CARD_MAC_INVALID' });
  t.deepEqual(await system.gateway.loads.loads.require(txnId), before);
  t.is(system.bank.log.filter((e) => e.mti === '0200').length, 1);
});
