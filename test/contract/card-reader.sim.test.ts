/** The CardReader contract on the in-process SimCardReader, then the simulator's own fault knobs. */
import test from 'ava';
import { once } from 'node:events';
import { cardReaderContract, type CardReaderRig } from './card-reader.contract.ts';
import { SimCardReader } from '../../sim/card/sim-reader.ts';
import { VirtualCard } from '../../sim/card/virtual-card.ts';
import { personalise } from '../../sim/card/issuance.ts';
import { fromHex, toHex } from '../../common/bytes.ts';
import { QuancunError } from '../../common/errors.ts';

async function simRig(): Promise<CardReaderRig> {
  const reader = new SimCardReader();
  await reader.start();
  return {
    reader,
    insert: async (card) => {
      const present = once(reader, 'present');
      reader.insert(card);
      await present;
    },
    remove: async () => {
      const absent = once(reader, 'absent');
      reader.remove();
      await absent;
    },
    close: () => reader.stop(),
  };
}

cardReaderContract('SimCardReader', simRig);

const card = () => new VirtualCard(personalise({
  masterKeys: { load: Buffer.alloc(16, 1), purchase: Buffer.alloc(16, 2), tac: Buffer.alloc(16, 3) },
  asn: '00001234567890123456', balance: 10_000,
}));
const SELECT = fromHex('00A4040009A00000000386980701 00');
const GET_BALANCE = fromHex('805C000204');
const code = (err: unknown) => (err as QuancunError).code;

test('SimCardReader: tear before: the card never sees the APDU, the answer is empty as pcscd gives it, the card has left', async (t) => {
  const reader = new SimCardReader();
  const c = card();
  reader.insert(c);
  const ch = await reader.connect();
  await ch.transmit(SELECT);
  reader.tear({ ins: 0x5c, when: 'before' });
  const absent = once(reader, 'absent');
  t.is(code(await t.throwsAsync(ch.transmit(GET_BALANCE))), 'CARD_NO_ANSWER');
  await absent;
  t.is(code(await t.throwsAsync(ch.transmit(GET_BALANCE))), 'CARD_REMOVED', 'the next command finds the card gone');
  t.false(reader.cardPresent);
  reader.insert(c);
  const again = await reader.connect();
  await again.transmit(SELECT);
  t.is(toHex(await again.transmit(GET_BALANCE)), '000027109000', 'the tear was one-shot');
});

test('SimCardReader: tear after: the card applied the APDU, the answer is lost', async (t) => {
  const reader = new SimCardReader();
  const c = card();
  reader.insert(c);
  const ch = await reader.connect();
  await ch.transmit(SELECT);
  reader.tear({ ins: 0x20, when: 'after' });
  t.is(code(await t.throwsAsync(ch.transmit(fromHex('0020000003999999')))), 'CARD_NO_ANSWER');
  t.is(c.state().pinTriesLeft, 2, 'the wrong PIN was counted');
});

test('SimCardReader: a card that stays and answers one byte or garbage: no status word is CARD_NO_ANSWER, garbage comes back as it is', async (t) => {
  const reader = new SimCardReader();
  const c = card();
  reader.insert(c);
  const ch = await reader.connect();
  await ch.transmit(SELECT);
  reader.tear({ ins: 0x5c, when: 'before', how: { answer: '90' } });
  t.is(code(await t.throwsAsync(ch.transmit(GET_BALANCE))), 'CARD_NO_ANSWER');
  reader.tear({ ins: 0x5c, when: 'after', how: { answer: '123456' } });
  t.is(toHex(await ch.transmit(GET_BALANCE)), '123456');
  t.true(reader.cardPresent, 'the card stayed in the field');
  t.is(toHex(await ch.transmit(GET_BALANCE)), '000027109000');
});

for (const [error, stays] of [['CARD_REMOVED', false], ['CARD_NOT_TRANSACTED', true], ['CARD_RESET', true], ['CARD_TIMEOUT', true], ['READER_COMM_ERROR', true]] as const) {
  test(`SimCardReader: the reader reports ${error} during a command${stays ? ', the card stays' : ', the card is gone'}`, async (t) => {
    const reader = new SimCardReader();
    reader.insert(card());
    const ch = await reader.connect();
    await ch.transmit(SELECT);
    reader.tear({ ins: 0x5c, when: 'after', how: { error } });
    t.is(code(await t.throwsAsync(ch.transmit(GET_BALANCE))), error);
    t.is(reader.cardPresent, stays);
  });
}

test('SimCardReader: the reader vanishing mid-command is READER_UNAVAILABLE and a fault', async (t) => {
  const reader = new SimCardReader();
  reader.insert(card());
  const ch = await reader.connect();
  await ch.transmit(SELECT);
  const fault = once(reader, 'fault');
  reader.tear({ ins: 0x5c, when: 'before', how: { error: 'READER_UNAVAILABLE' } });
  t.is(code(await t.throwsAsync(ch.transmit(GET_BALANCE))), 'READER_UNAVAILABLE');
  t.is(code((await fault)[0]), 'READER_UNAVAILABLE');
});

test('SimCardReader: a transmit already on its way when the card leaves rejects with CARD_REMOVED', async (t) => {
  const reader = new SimCardReader();
  reader.insert(card());
  const ch = await reader.connect();
  const pending = ch.transmit(SELECT);
  reader.remove();
  t.is(code(await t.throwsAsync(pending)), 'CARD_REMOVED');
});

test('SimCardReader: unplug faults with READER_UNAVAILABLE until replug, then the card is presented again', async (t) => {
  const reader = new SimCardReader();
  const c = card();
  reader.insert(c);
  const ch = await reader.connect();
  const fault = once(reader, 'fault');
  reader.unplug();
  t.is(code((await fault)[0]), 'READER_UNAVAILABLE');
  t.false(reader.cardPresent);
  t.is(code(await t.throwsAsync(reader.connect())), 'READER_UNAVAILABLE');
  t.is(code(await t.throwsAsync(ch.transmit(SELECT))), 'READER_UNAVAILABLE');
  const waiting = reader.waitForCard();
  const ready = once(reader, 'ready');
  reader.replug();
  await ready;
  t.is(toHex(await waiting), toHex(c.atr));
  t.is(code(await t.throwsAsync(ch.transmit(SELECT))), 'CARD_REMOVED', 'the old channel did not survive the power cycle');
  const fresh = await reader.connect();
  t.is(toHex(await fresh.transmit(SELECT)).slice(-4), '9000');
});

test('SimCardReader: a closed channel refuses to transmit', async (t) => {
  const reader = new SimCardReader();
  reader.insert(card());
  const ch = await reader.connect();
  await ch.close();
  t.is(code(await t.throwsAsync(ch.transmit(SELECT))), 'CARD_ERROR');
});
