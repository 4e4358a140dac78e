/**
 * The one-card system contract (gateway/onecard/one-card-system.ts), run on each kind: the built-in one on the
 * gateway's store, the sample schema in a real PostgreSQL, the simulator's web middle tier over HTTP. What the gateway
 * relies on: accounts by card and by number, an unknown card CARD_UNKNOWN, and — for a system that keeps postings of
 * its own — each (txnId, status) applied once, the three-state posting's changes applied and every other refused
 * ONECARD_REFUSED, and a system out of reach ONECARD_UNAVAILABLE.
 */
import test, { type ExecutionContext } from 'ava';
import type { CampusAccount, OneCardPosting, OneCardSystem, WireStatus } from '../../gateway/onecard/one-card-system.ts';

export const ZHANG: CampusAccount = {
  campusAccount: '2023010001', name: '张三', staffNo: 'S2023010001', asn: '31030000002023010001', bankId: 'icbc', bankPan: '6217000010000000018',
};
export const WANG: CampusAccount = { campusAccount: '2023010003', name: '王五', staffNo: 'S2023010003', asn: '3103000000202301000A' };
/** What each rig's system holds: two accounts, one bound to a bank. */
export const CONTRACT_ACCOUNTS = [ZHANG, WANG];

export interface OneCardRig {
  /** A system holding CONTRACT_ACCOUNTS, not yet opened. */
  system: OneCardSystem;
}

/** The rig of an external system: it keeps postings of its own, and its server can be out of reach. */
export interface ExternalOneCardRig extends OneCardRig {
  /** The statuses the system applied to a transaction, in order, as its own record says. */
  applied(txnId: string): Promise<WireStatus[]>;
  /** A system of the same kind whose server cannot be reached, not yet opened. */
  unreachable(): OneCardSystem;
}

const posting = (txnId: string, status: WireStatus, over: Partial<OneCardPosting> = {}): OneCardPosting =>
  ({ txnId, campusAccount: ZHANG.campusAccount, amount: 5000, status, at: '2026-11-27T08:30:00.000Z', ...over });

function rigTest<R extends OneCardRig>(kind: string, makeRig: (t: ExecutionContext) => Promise<R>) {
  return (title: string, body: (t: ExecutionContext, rig: R) => Promise<void>) =>
    test(`${kind}: ${title}`, async (t) => {
      const rig = await makeRig(t);
      await rig.system.open();
      t.teardown(() => rig.system.close());
      await body(t, rig);
    });
}

/** What every kind does: accounts. */
export function oneCardContract(kind: string, makeRig: (t: ExecutionContext) => Promise<OneCardRig>): void {
  const check = rigTest(kind, makeRig);

  check('an account by its card (the ASN in either case) and by its number, with its bank binding when it has one', async (t, { system }) => {
    t.deepEqual(await system.accountByAsn('31030000002023010001'), ZHANG);
    t.deepEqual(await system.accountByAsn('3103000000202301000a'), WANG);
    t.deepEqual(await system.account('2023010001'), ZHANG);
    t.deepEqual(await system.account('2023010003'), WANG);
    t.is(await system.account('2099999999'), undefined);
  });

  check('a card the system does not know is CARD_UNKNOWN, naming only the card\'s last digits', async (t, { system }) => {
    const err = await t.throwsAsync(system.accountByAsn('31030000002099999999'), { code: 'CARD_UNKNOWN' } as never);
    t.false(err!.message.includes('31030000002099999999'));
    t.deepEqual((err as unknown as { details: unknown }).details, { asnTail: '9999' });
  });
}

const refused = { code: 'ONECARD_REFUSED' } as never;

/** What an external system does besides: the three-state posting, each status applied once, and the refusals. */
export function externalOneCardContract(kind: string, makeRig: (t: ExecutionContext) => Promise<ExternalOneCardRig>): void {
  oneCardContract(kind, makeRig);
  const check = rigTest(kind, makeRig);

  check('a load posted provisional then final: each answer is the posting as stored, each status applied once', async (t, { system, applied }) => {
    t.deepEqual(await system.post(posting('K001-00000001', 'provisional')), posting('K001-00000001', 'provisional'));
    t.deepEqual(await system.post(posting('K001-00000001', 'final', { at: '2026-11-27T08:30:05.000Z' })), posting('K001-00000001', 'final', { at: '2026-11-27T08:30:05.000Z' }));
    t.deepEqual(await applied('K001-00000001'), ['provisional', 'final']);
  });

  check('the same status sent again (its answer lost) is applied once, even after a later status', async (t, { system, applied }) => {
    await system.post(posting('K001-00000002', 'provisional'));
    t.like(await system.post(posting('K001-00000002', 'provisional')), { status: 'provisional' });
    await system.post(posting('K001-00000002', 'write-failed'));
    t.like(await system.post(posting('K001-00000002', 'provisional')), { status: 'write-failed' });
    t.like(await system.post(posting('K001-00000002', 'write-failed')), { status: 'write-failed' });
    t.deepEqual(await applied('K001-00000002'), ['provisional', 'write-failed']);
  });

  const allowed: Array<[string, WireStatus[]]> = [
    ['a load written later (圈存未领, then collected)', ['provisional', 'write-failed', 'final']],
    ['a load reversed after the bank approved', ['provisional', 'reversed']],
    ['a load reversed whose bank answer never came', ['reversed']],
    ['a subsidy collected', ['write-failed', 'final']],
    ['a subsidy expired back to the campus', ['write-failed', 'expired']],
  ];
  for (const [what, statuses] of allowed) {
    check(`the statuses of ${what}, ${statuses.join(' → ')}, are applied`, async (t, { system, applied }) => {
      for (const status of statuses) t.like(await system.post(posting('T-1', status, { source: 'subsidy' })), { status, source: 'subsidy' });
      t.deepEqual(await applied('T-1'), statuses);
    });
  }

  const impossible: Array<[WireStatus[], WireStatus]> = [
    [['provisional', 'reversed'], 'final'],
    [[], 'final'],
    [['provisional'], 'expired'],
    [['write-failed', 'final'], 'provisional'],
    [['write-failed', 'expired'], 'final'],
  ];
  for (const [before, status] of impossible) {
    check(`${status} after ${before.join(' → ') || 'nothing'} is refused ONECARD_REFUSED and changes nothing`, async (t, { system, applied }) => {
      for (const s of before) await system.post(posting('T-2', s));
      await t.throwsAsync(system.post(posting('T-2', status)), refused);
      t.deepEqual(await applied('T-2'), before);
    });
  }

  check('a posting to an account the system does not know, or under an id it holds for another amount, is refused', async (t, { system, applied }) => {
    await t.throwsAsync(system.post(posting('T-3', 'provisional', { campusAccount: '2099999999' })), refused);
    t.deepEqual(await applied('T-3'), []);
    await system.post(posting('T-4', 'provisional'));
    await t.throwsAsync(system.post(posting('T-4', 'final', { amount: 4000 })), refused);
    t.deepEqual(await applied('T-4'), ['provisional']);
  });

  check('a system out of reach is ONECARD_UNAVAILABLE for a lookup and a posting alike', async (t, { unreachable }) => {
    const system = unreachable();
    await system.open();
    t.teardown(() => system.close());
    await t.throwsAsync(system.accountByAsn(ZHANG.asn), { code: 'ONECARD_UNAVAILABLE' } as never);
    await t.throwsAsync(system.account(ZHANG.campusAccount), { code: 'ONECARD_UNAVAILABLE' } as never);
    await t.throwsAsync(system.post(posting('T-5', 'provisional')), { code: 'ONECARD_UNAVAILABLE' } as never);
  });
}
