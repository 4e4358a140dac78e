/**
 * The kiosk-side purse protocol over SimCardReader and a VirtualCard, and status words mapped to error codes. MAC and
 * TAC literals are the openssl-computed vectors of test/unit/pboc-crypto.test.ts (challenge 11223344, online counter 5,
 * 50.00 yuan onto 100.00 at terminal 112233445566, 2024-09-15 14:30:05).
 */
import test, { type ExecutionContext } from 'ava';
import type { CardChannel } from '../../hal/card-reader/card-reader.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { VirtualCard, type VirtualCardState } from '../../sim/card/virtual-card.ts';
import { personalise } from '../../sim/card/issuance.ts';
import { CAMPUS_CARD_PROFILE, type CardProfile } from '../../runtime/card/card-profile.ts';
import {
  selectPurse, readPublicData, readHolder, getBalance, verifyPin, initializeForLoad, creditForLoad, getTransactionProve,
  readRecords, initializeForPurchase, debitForPurchase,
} from '../../runtime/card/purse.ts';
import { fromHex, toHex } from '../../common/bytes.ts';
import type { QuancunError } from '../../common/errors.ts';
import type { CardWriteResult } from '../../runtime/card/card-write.ts';

const TERMINAL = fromHex('112233445566');
const DATE = fromHex('20240915');
const TIME = fromHex('143005');
const MAC2 = fromHex('3405F523');
const LOAD = { keyIndex: 1, amount: 5_000, terminalId: TERMINAL };

function vectorState(overrides: Partial<VirtualCardState> = {}): VirtualCardState {
  return {
    ...personalise({
      masterKeys: {
        load: fromHex('11223344556677888877665544332211'),
        purchase: fromHex('0123456789ABCDEFFEDCBA9876543210'),
        tac: fromHex('00112233445566778899AABBCCDDEEFF'),
      },
      asn: '00001234567890123456', balance: 10_000, pin: '123456', startDate: '20240901', endDate: '20340831',
      holder: { name: '张三', staffNo: '2024001', idType: 1 },
    }),
    onlineCounter: 5,
    offlineCounter: 7,
    ...overrides,
  };
}

/** A card in the field of a fresh reader, with the purse selected by the default profile. */
async function tap(overrides: Partial<VirtualCardState> = {}, random = '11223344') {
  const card = new VirtualCard(vectorState(overrides), { random: () => fromHex(random) });
  const reader = new SimCardReader();
  reader.insert(card);
  const ch = await reader.connect();
  await selectPurse(ch, CAMPUS_CARD_PROFILE);
  return { card, reader, ch };
}

async function rejects(t: ExecutionContext, p: Promise<unknown>): Promise<QuancunError> {
  return (await t.throwsAsync(p)) as QuancunError;
}

/** The decision on a card write and its error code, or the applied value in hex. */
async function decided(p: Promise<CardWriteResult<Buffer>>): Promise<{ decision: string; code?: string; sw?: unknown; value?: string }> {
  const r = await p;
  return r.decision === 'applied' ? { decision: r.decision, value: toHex(r.value) } : { decision: r.decision, code: r.error.code, sw: r.error.details.sw };
}

/** A channel that answers fixed responses and records the APDUs, for byte-level checks of what the kiosk sends. */
function scriptedChannel(responses: string[]): CardChannel & { sent: string[] } {
  const sent: string[] = [];
  return {
    atr: Buffer.alloc(0),
    sent,
    transmit: async (apdu) => {
      sent.push(toHex(apdu));
      return fromHex(responses.shift() ?? '6F00');
    },
    close: async () => {},
  };
}

test('public data, holder and balance of the campus card', async (t) => {
  const { ch } = await tap();
  t.deepEqual(await readPublicData(ch), {
    issuerId: '4300000000000001', appType: 2, appVersion: 1, asn: '00001234567890123456', startDate: '20240901', endDate: '20340831',
  });
  t.deepEqual(await readHolder(ch, CAMPUS_CARD_PROFILE), { name: '张三', staffNo: '2024001', idType: 1 });
  t.is(await getBalance(ch), 10_000);
});

test('selection by FID path sends one SELECT per FID', async (t) => {
  const profile: CardProfile = { ...CAMPUS_CARD_PROFILE, selection: { by: 'fid-path', path: ['3F01', '1001', 'DF03'] } };
  const card = new VirtualCard(vectorState());
  const reader = new SimCardReader();
  reader.insert(card);
  const ch = await reader.connect();
  await selectPurse(ch, profile);
  t.is(await getBalance(ch), 10_000);
  const script = scriptedChannel(['9000', '9000', '9000']);
  await selectPurse(script, profile);
  t.deepEqual(script.sent, ['00A40000023F01', '00A40000021001', '00A4000002DF03']);
  const wrong = await rejects(t, selectPurse(scriptedChannel(['6A82']), CAMPUS_CARD_PROFILE));
  t.is(wrong.code, 'CARD_ERROR');
  t.is(wrong.details.sw, '6A82');
});

test('holder layout from the profile: GBK name, no id type', async (t) => {
  const profile: CardProfile = {
    ...CAMPUS_CARD_PROFILE,
    holder: { length: 16, name: { offset: 0, length: 8, encoding: 'gbk' }, staffNo: { offset: 8, length: 8 }, idType: null },
  };
  // "张三" in GBK is D5C5 C8FD, space-padded; staff number "2024001" FF-padded
  const ch = scriptedChannel(['D5C5C8FD20202020 32303234303031FF 9000'.replace(/\s/g, '')]);
  t.deepEqual(await readHolder(ch, profile), { name: '张三', staffNo: '2024001', idType: null });
  t.deepEqual(ch.sent, ['00B0960010']);
});

test('PIN: BCD or ASCII per profile; wrong PIN counts down, then PIN_BLOCKED', async (t) => {
  const bcd = scriptedChannel(['9000']);
  await verifyPin(bcd, '12345', CAMPUS_CARD_PROFILE);
  t.deepEqual(bcd.sent, ['002000000312345F']);
  const ascii = scriptedChannel(['9000']);
  await verifyPin(ascii, '123456', { ...CAMPUS_CARD_PROFILE, pinEncoding: 'ascii' });
  t.deepEqual(ascii.sent, ['0020000006313233343536']);

  const { ch } = await tap();
  await verifyPin(ch, '123456', CAMPUS_CARD_PROFILE);
  const first = await rejects(t, verifyPin(ch, '654321', CAMPUS_CARD_PROFILE));
  t.is(first.code, 'PIN_WRONG');
  t.is(first.details.triesLeft, 2);
  t.is((await rejects(t, verifyPin(ch, '654321', CAMPUS_CARD_PROFILE))).details.triesLeft, 1);
  t.is((await rejects(t, verifyPin(ch, '654321', CAMPUS_CARD_PROFILE))).code, 'PIN_BLOCKED', '63C0');
  const blocked = await rejects(t, verifyPin(ch, '123456', CAMPUS_CARD_PROFILE));
  t.is(blocked.code, 'PIN_BLOCKED');
  t.is(blocked.details.sw, '6983');
});

test('load: INITIALIZE gives MAC1 for the gateway, a refused MAC2 is CARD_MAC_INVALID, the right one returns the TAC', async (t) => {
  const { card, ch } = await tap();
  const init = await initializeForLoad(ch, LOAD);
  t.deepEqual(
    { ...init, random: toHex(init.random), mac1: toHex(init.mac1) },
    { oldBalance: 10_000, onlineCounter: 5, keyVersion: 1, algId: 0, random: '11223344', mac1: '5C994F88' },
  );
  t.deepEqual(await decided(creditForLoad(ch, { date: DATE, time: TIME, mac2: fromHex('00000000') })), {
    decision: 'not-applied', code: 'CARD_MAC_INVALID', sw: '9302',
  });
  t.is(card.state().balance, 10_000);

  await initializeForLoad(ch, LOAD);
  t.deepEqual(await decided(creditForLoad(ch, { date: DATE, time: TIME, mac2: MAC2 })), { decision: 'applied', value: '91C4D42C' });
  t.is(await getBalance(ch), 15_000);
  const proof = await getTransactionProve(ch, { type: 2, counter: 6 });
  t.deepEqual(proof && { mac: toHex(proof.mac), tac: toHex(proof.tac) }, { mac: '3405F523', tac: '91C4D42C' });
  t.is(await getTransactionProve(ch, { type: 2, counter: 7 }), null);
  t.deepEqual(await readRecords(ch, 3), [
    { counter: 5, overdraft: 0, amount: 5_000, type: 2, terminalId: '112233445566', date: '20240915', time: '143005' },
  ]);
});

test('over the purse limit is AMOUNT_OVER_PURSE_LIMIT; other refusals are CARD_ERROR with the status word', async (t) => {
  const { ch } = await tap({ purseLimit: 12_000 });
  const over = await rejects(t, initializeForLoad(ch, LOAD));
  t.is(over.code, 'AMOUNT_OVER_PURSE_LIMIT');
  t.is(over.details.sw, '9401');
  t.deepEqual(await decided(creditForLoad(ch, { date: DATE, time: TIME, mac2: MAC2 })), { decision: 'not-applied', code: 'CARD_ERROR', sw: '6985' });
  const short = await rejects(t, getBalance(scriptedChannel(['00109000'])));
  t.is(short.code, 'CARD_ERROR');
});

test('torn credit, card gone after applying it: the counter moved on and the proof holds the TAC', async (t) => {
  const { card, reader, ch } = await tap();
  const saved = await initializeForLoad(ch, LOAD);
  reader.tear({ ins: 0x52, when: 'after' });
  t.like(await decided(creditForLoad(ch, { date: DATE, time: TIME, mac2: MAC2 })), { decision: 'undecided', code: 'CARD_NO_ANSWER' });
  reader.insert(card);
  const again = await reader.connect();
  await selectPurse(again, CAMPUS_CARD_PROFILE);
  const init = await initializeForLoad(again, LOAD);
  t.is(init.onlineCounter, saved.onlineCounter + 1);
  const proof = await getTransactionProve(again, { type: 2, counter: saved.onlineCounter + 1 });
  t.is(proof && toHex(proof.tac), '91C4D42C');
});

test('torn credit, card gone before it: the counter did not move and there is no proof', async (t) => {
  const { card, reader, ch } = await tap();
  const saved = await initializeForLoad(ch, LOAD);
  reader.tear({ ins: 0x52, when: 'before' });
  t.like(await decided(creditForLoad(ch, { date: DATE, time: TIME, mac2: MAC2 })), { decision: 'undecided', code: 'CARD_NO_ANSWER' });
  reader.insert(card);
  const again = await reader.connect();
  await selectPurse(again, CAMPUS_CARD_PROFILE);
  t.is(await getTransactionProve(again, { type: 2, counter: saved.onlineCounter + 1 }), null);
  const init = await initializeForLoad(again, LOAD);
  t.is(init.onlineCounter, saved.onlineCounter);
  t.deepEqual(await decided(creditForLoad(again, { date: DATE, time: TIME, mac2: MAC2 })), { decision: 'applied', value: '91C4D42C' }, 'retried with a fresh session');
});

test('purchase: INITIALIZE then DEBIT with the key store MAC1; too little balance is CARD_BALANCE_INSUFFICIENT', async (t) => {
  const { ch } = await tap({}, 'AABBCCDD');
  const short = await rejects(t, initializeForPurchase(ch, { keyIndex: 1, amount: 20_000, terminalId: TERMINAL }));
  t.is(short.code, 'CARD_BALANCE_INSUFFICIENT');
  const init = await initializeForPurchase(ch, { keyIndex: 1, amount: 250, terminalId: TERMINAL });
  t.deepEqual({ ...init, random: toHex(init.random) }, { balance: 10_000, offlineCounter: 7, overdraftLimit: 0, keyVersion: 1, algId: 0, random: 'AABBCCDD' });
  const debit = await debitForPurchase(ch, { terminalTxSeq: 0x00010203, date: DATE, time: TIME, mac1: fromHex('5C64C6DB') });
  t.deepEqual(debit.decision === 'applied' ? [toHex(debit.value.tac), toHex(debit.value.mac2)] : debit, ['1F75367B', 'F70EE359']);
  t.is(await getBalance(ch), 9_750);
});
