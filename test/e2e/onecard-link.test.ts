/**
 * The gateway linked to the campus's one-card system through its web middle tier (the one-card centre simulator on
 * loopback): the cardholder accounts are the centre's, not the config's, and each posting reaches the centre. A card
 * the centre does not know is refused, and with the centre out of reach a load is refused before the bank is asked;
 * neither moves money. The kiosk runs on the simulated reader and PIN pad with the embedded broker.
 */
import test, { type ExecutionContext } from 'ava';
import { readFileSync } from 'node:fs';
import type { Config } from '../../common/config.ts';
import { cardholderAccounts } from '../../gateway/onecard/built-in-one-card.ts';
import { OneCardCentre } from '../../sim/onecard/onecard-centre.ts';
import { runLoadScenario, scenarioAccounts } from '../../sim/scenarios/load-scenario.ts';
import { EMBEDDED_CONFIG, startTestSystem, type TestSystem } from '../support/kiosk-system.ts';

// From config/embedded.json: 张三 (card 10.00, bank 5000.00, account 2023010001).
const ZHANG = { asn: '31030000002023010001', pan: '6217000010000000018', campusAccount: '2023010001', card: 1000, bank: 500_000 };

/** The centre, holding the embedded config's cardholders but those `without`, and a test system whose gateway uses it. */
async function linkedSystem(t: ExecutionContext, without: string[] = []): Promise<{ centre: OneCardCentre; system: TestSystem }> {
  const { cardholders } = JSON.parse(readFileSync(EMBEDDED_CONFIG, 'utf8')) as Config;
  const centre = new OneCardCentre({ accounts: cardholderAccounts({ cardholders }).filter((a) => !without.includes(a.campusAccount)) });
  await centre.start();
  t.teardown(() => centre.stop());
  const system = await startTestSystem(t, {
    edit: (c) => void (c.oneCard = { kind: 'http', url: centre.url, timeoutMs: 2000, relay: { minMs: 20, maxMs: 200, attentionAfter: 3, pollMs: 20 } }),
  });
  return { centre, system };
}

test('a load through the one-card link completes, and the centre holds its posting final: provisional then final, each once', async (t) => {
  const { centre, system } = await linkedSystem(t);
  const result = await runLoadScenario(system, { kioskId: 'K001', asn: ZHANG.asn, amount: 5000, ...scenarioAccounts(system.loaded.config) });
  t.like(result, { state: 'completed', card: { before: ZHANG.card, after: ZHANG.card + 5000 }, bank: { before: ZHANG.bank, after: ZHANG.bank - 5000 } });
  await centre.until((ps) => ps.some((p) => p.txnId === result.txnId && p.status === 'final'));
  t.like(centre.posting(result.txnId!), { campusAccount: ZHANG.campusAccount, amount: 5000, status: 'final', applied: ['provisional', 'final'] });
  t.like(await system.gateway.ledger.posting(result.txnId!), { status: 'final', amount: 5000 });
  t.regex(await system.gateway.metrics.text(), /quancun_onecard_postings\{state="refused"\} 0/);
});

/** Nothing moved: the card's purse, the bank account, the gateway's ledger and the centre's postings as they were. */
async function assertNothingMoved(t: ExecutionContext, system: TestSystem, centre: OneCardCentre): Promise<void> {
  t.is(system.cards.get(ZHANG.asn)!.state().balance, ZHANG.card, 'card balance changed');
  t.is(system.bank.balanceOf(ZHANG.pan), ZHANG.bank, 'bank balance changed');
  t.deepEqual(system.bank.log.filter((e) => e.mti === '0200'), [], 'the bank was asked for a transfer');
  t.deepEqual(await system.gateway.ledger.postings(), [], 'the ledger has a posting');
  t.deepEqual(centre.postings(), [], 'the centre has a posting');
}

test('a card the one-card system does not know is refused CARD_UNKNOWN, though the config names it, and moves no money', async (t) => {
  const { centre, system } = await linkedSystem(t, [ZHANG.campusAccount]);
  const result = await runLoadScenario(system, { kioskId: 'K001', asn: ZHANG.asn, amount: 5000, ...scenarioAccounts(system.loaded.config) });
  t.like(result, { state: 'refused', code: 'CARD_UNKNOWN', message: 'the one-card system has no account for this card', tacVerified: false });
  await assertNothingMoved(t, system, centre);
});

test('with the one-card system out of reach after the card was read, the load is refused ONECARD_UNAVAILABLE before the bank is asked', async (t) => {
  const { centre, system } = await linkedSystem(t);
  const { kiosk, reader, keypad } = system.kiosks.get('K001')!;
  reader!.insert(system.cards.get(ZHANG.asn)!);
  const session = await kiosk.openSession();
  await centre.down();
  keypad.once('entry', () => {
    keypad.type('123456');
    keypad.enter();
  });
  const outcome = await kiosk.load(session, 5000);
  t.like(outcome, { code: 'ONECARD_UNAVAILABLE', tacVerified: false, cardBefore: ZHANG.card, cardAfter: ZHANG.card });
  t.like(await kiosk.journal.loads.require(outcome.txnId), { outcome: 'not-debited', code: 'ONECARD_UNAVAILABLE' });
  t.like(await system.gateway.loads.loads.require(outcome.txnId), { state: 'rejected', code: 'ONECARD_UNAVAILABLE' });
  await assertNothingMoved(t, system, centre);
});

test('with the one-card system out of reach at the tap, the card is not served: ONECARD_UNAVAILABLE, nothing moved', async (t) => {
  const { centre, system } = await linkedSystem(t);
  await centre.down();
  const result = await runLoadScenario(system, { kioskId: 'K001', asn: ZHANG.asn, amount: 5000, ...scenarioAccounts(system.loaded.config) });
  t.like(result, { state: 'refused', code: 'ONECARD_UNAVAILABLE', txnId: null });
  await assertNothingMoved(t, system, centre);
});
