/**
 * A subsidy whose CREDIT FOR LOAD tore (the sim reader's tear knob): the write is undecided, so the gateway holds the
 * credit at `mac2-issued` with the card's counter, even past the subsidy's expiry; the card's next tap at any kiosk
 * decides it by that counter, written at the tap, once. Figures: config/embedded.json (张三's card holds 10.00).
 */
import test from 'ava';
import { startTestSystem } from '../support/kiosk-system.ts';
import { CREDIT_FOR_LOAD, ZHANG } from '../support/torn-load.ts';

for (const when of ['after', 'before'] as const) {
  test(`torn ${when === 'after' ? 'after the card applied it' : 'before the card saw it'}: held past its expiry, settled once at the next tap`, async (t) => {
    let clock: number | null = null;
    const system = await startTestSystem(t, { kioskIds: ['K001', 'K002'], gatewayNow: () => new Date(clock ?? Date.now()) });
    const { lines: [line] } = await system.gateway.subsidies.issue({ account: '2023010001', amount: '150.00', reason: '伙食补助', period: '2026-11', expires: '2099-06-30' });
    const id = line!.creditId;
    const card = system.cards.get(ZHANG.asn)!;

    const k1 = system.kiosks.get('K001')!;
    k1.reader!.insert(card);
    const first = await k1.kiosk.openSession();
    t.like(first.account.pendingLoads, [{ pendingId: id, source: 'subsidy', amount: 15_000 }]);
    k1.reader!.tear({ ins: CREDIT_FOR_LOAD, when });
    const [torn] = await k1.kiosk.collect(first);
    t.like(torn, { state: 'not-collected', code: 'CARD_NO_ANSWER' });
    t.like(card.state(), when === 'after' ? { balance: 16_000, onlineCounter: 1 } : { balance: 1000, onlineCounter: 0 });
    t.like(await system.gateway.credits.credits.require(id), { state: 'mac2-issued', onlineCounter: 0, oldBalance: 1000 });

    // Its last day ends: a MAC2 is out, so it is held, not expired.
    clock = Date.parse('2099-06-30T16:00:00Z');
    t.deepEqual(await system.gateway.credits.expireDue(), []);

    const k2 = system.kiosks.get('K002')!;
    k2.reader!.insert(card);
    const next = await k2.kiosk.openSession();
    t.like(next.account.pendingLoads, [{ pendingId: id, source: 'subsidy', onlineCounter: 0, oldBalance: 1000 }], 'listed with its counter: written at the tap');
    await t.throwsAsync(k2.kiosk.load(next, 2000), { code: 'PENDING_LOAD_FIRST' });
    const [settled] = await k2.kiosk.collect(next);
    t.like(settled, { state: 'completed', source: 'subsidy', tacVerified: true, cardAfter: 16_000, via: when === 'after' ? 'proof' : 'recredit' });
    t.like(card.state(), { balance: 16_000, onlineCounter: 1 }, 'credited once');
    t.like(await system.gateway.credits.credits.require(id), { state: 'completed', collector: 'K002' });
    t.like(await system.gateway.ledger.posting(id), { amount: 15_000, status: 'final' });
    t.like((await system.gateway.subsidies.report()).total, { collected: { count: 1, amount: 15_000 }, expired: { count: 0, amount: 0 }, balanced: true });
  });
}
