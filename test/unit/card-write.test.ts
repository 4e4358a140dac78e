/**
 * The decision table for money-moving card writes (runtime/card/card-write.ts), one test per row: applied only on 9000
 * with the whole answer, not applied only on a listed refusal, undecided on everything else. Answers are written out
 * as bytes; the channel is a scripted one that answers them (or fails the way a reader does).
 */
import test from 'ava';
import type { CardChannel } from '../../hal/card-reader/card-reader.ts';
import { EXCHANGE_FAILURES } from '../../hal/card-reader/card-reader.ts';
import { QuancunError } from '../../common/errors.ts';
import { decideInterrupted, writeToCard, type CardWriteKind } from '../../runtime/card/card-write.ts';
import { creditForLoad, debitForPurchase } from '../../runtime/card/purse.ts';
import { fromHex } from '../../common/bytes.ts';

const CREDIT = fromHex('805200000B2024091514300534 05F523 04'.replace(/ /g, ''));

function answering(answer: Buffer | Error): CardChannel {
  return {
    atr: Buffer.alloc(0),
    transmit: async () => {
      if (answer instanceof Error) throw answer;
      return answer;
    },
    close: async () => {},
  };
}

async function decisionOn(kind: CardWriteKind, answer: Buffer | Error): Promise<{ decision: string; code?: string }> {
  const r = await writeToCard(answering(answer), kind, CREDIT, kind === 'credit-for-load' ? 4 : 8, (d) => d.toString('hex'));
  return r.decision === 'applied' ? { decision: 'applied', code: r.value } : { decision: r.decision, code: r.error.code };
}

// applied
test('credit: 9000 with the 4-byte TAC is applied, the TAC its value', async (t) => {
  const r = await creditForLoad(answering(fromHex('91C4D42C9000')), { date: fromHex('20240915'), time: fromHex('143005'), mac2: fromHex('3405F523') });
  t.deepEqual(r.decision === 'applied' ? r.value.toString('hex') : r, '91c4d42c');
});

test('purchase: 9000 with TAC and MAC2 (8 bytes) is applied', async (t) => {
  const r = await debitForPurchase(answering(fromHex('1F75367BF70EE3599000')), {
    terminalTxSeq: 1, date: fromHex('20240915'), time: fromHex('143005'), mac1: fromHex('5C64C6DB'),
  });
  t.deepEqual(r.decision === 'applied' ? [r.value.tac.toString('hex'), r.value.mac2.toString('hex')] : r, ['1f75367b', 'f70ee359']);
});

// not applied: the refusals before any change, for both writes
const refusals: Array<[string, string]> = [
  ['9302', 'CARD_MAC_INVALID'], ['6400', 'CARD_ERROR'], ['6700', 'CARD_ERROR'], ['6985', 'CARD_ERROR'],
  ['6A86', 'CARD_ERROR'], ['6D00', 'CARD_ERROR'], ['6E00', 'CARD_ERROR'],
];
for (const kind of ['credit-for-load', 'debit-for-purchase'] as const) {
  for (const [sw, code] of refusals) {
    test(`${kind}: ${sw} is a refusal before any change: not applied (${code})`, async (t) => {
      t.deepEqual(await decisionOn(kind, fromHex(sw)), { decision: 'not-applied', code });
    });
  }
}

// undecided: what came back does not say
const undecidedAnswers: Array<[string, string, string]> = [
  ['an empty answer (pcscd, card left mid-command)', '', 'CARD_NO_ANSWER'],
  ['a 1-byte answer', '90', 'CARD_NO_ANSWER'],
  ['9000 without the TAC', '9000', 'CARD_NO_ANSWER'],
  ['9000 with a TAC cut short', 'C4D42C9000', 'CARD_NO_ANSWER'],
  ['9000 with more than the TAC', '91C4D42C009000', 'CARD_NO_ANSWER'],
  ['6581 memory failure (memory may have changed)', '6581', 'CARD_ERROR'],
  ['6F00 no precise diagnosis', '6F00', 'CARD_ERROR'],
  ['9401 (not a refusal this command defines)', '9401', 'CARD_ERROR'],
  ['garbage bytes', '123456', 'CARD_ERROR'],
  ['6A80 (not listed)', '6A80', 'CARD_ERROR'],
];
for (const [what, hex, code] of undecidedAnswers) {
  test(`credit: ${what} is undecided`, async (t) => {
    t.deepEqual(await decisionOn('credit-for-load', fromHex(hex)), { decision: 'undecided', code });
  });
}

test('purchase: 9000 with only the TAC (no MAC2) is undecided', async (t) => {
  t.deepEqual(await decisionOn('debit-for-purchase', fromHex('1F75367B9000')), { decision: 'undecided', code: 'CARD_NO_ANSWER' });
});

for (const code of EXCHANGE_FAILURES) {
  test(`credit: a reader that reports ${code} leaves it undecided`, async (t) => {
    t.deepEqual(await decisionOn('credit-for-load', new QuancunError(code)), { decision: 'undecided', code });
  });
}

test('credit: an unexpected exception from the transport is undecided too (never a refusal)', async (t) => {
  t.deepEqual(await decisionOn('credit-for-load', new TypeError('socket went away')), { decision: 'undecided', code: 'INTERNAL' });
});

test('a write journaled as sent when the kiosk stopped is undecided, keeping the code it had', (t) => {
  t.like(decideInterrupted('credit-for-load', 'CARD_NO_ANSWER'), { decision: 'undecided', error: { code: 'CARD_NO_ANSWER' } });
  t.like(decideInterrupted('credit-for-load'), { decision: 'undecided', error: { code: 'INTERNAL' } });
});
