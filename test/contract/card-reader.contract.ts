/**
 * The CardReader contract, run on every backend (in-process simulator, pcscd + vpcd, ...). A rig wraps one reader and
 * a way to put a card in its field; insert()/remove() resolve only once the reader itself reported 'present'/'absent',
 * so no test waits on time. Cards are VirtualCards with a fixed challenge, so every MAC below is a literal: the
 * openssl-computed vectors of test/unit/pboc-crypto.test.ts.
 */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { CardReader } from '../../hal/card-reader/card-reader.ts';
import type { CardDevice } from '../../sim/card/card-device.ts';
import { VirtualCard } from '../../sim/card/virtual-card.ts';
import { personalise } from '../../sim/card/issuance.ts';
import { fromHex, toHex } from '../../common/bytes.ts';
import { QuancunError } from '../../common/errors.ts';

export interface CardReaderRig {
  reader: CardReader;
  insert(card: CardDevice): Promise<void>;
  remove(): Promise<void>;
  close(): Promise<void>;
}

const h = (hex: string): string => hex.replace(/\s/g, '');

/** Balance 100.00 yuan, online counter 5, challenge 11223344: the vector card. */
function vectorCard(): VirtualCard {
  const state = personalise({
    masterKeys: {
      load: fromHex('11223344556677888877665544332211'),
      purchase: fromHex('0123456789ABCDEFFEDCBA9876543210'),
      tac: fromHex('00112233445566778899AABBCCDDEEFF'),
    },
    asn: '00001234567890123456',
    balance: 10_000,
  });
  return new VirtualCard({ ...state, onlineCounter: 5 }, { random: () => fromHex('11223344') });
}

const SELECT = fromHex('00A4040009A00000000386980701 00');
const GET_BALANCE = fromHex('805C000204');

export function cardReaderContract(title: string, makeRig: () => Promise<CardReaderRig>, options: { serial?: boolean } = {}): void {
  const it = options.serial ? test.serial : test;

  /** Runs body with a fresh rig and always closes it. */
  const withRig = (name: string, body: (rig: CardReaderRig, t: ExecutionContext) => Promise<void>) => {
    it(`${title}: ${name}`, async (t) => {
      const rig = await makeRig();
      try {
        await body(rig, t);
      } finally {
        await rig.close();
      }
    });
  };

  withRig('present and absent events carry the ATR and track cardPresent', async ({ reader, insert, remove }, t) => {
    const card = vectorCard();
    t.false(reader.cardPresent);
    const present = once(reader, 'present');
    await insert(card);
    const [atr] = (await present) as [Buffer];
    t.is(toHex(atr), toHex(card.atr));
    t.true(reader.cardPresent);
    const absent = once(reader, 'absent');
    await remove();
    await absent;
    t.false(reader.cardPresent);
  });

  withRig('waitForCard resolves with the ATR of the next card, or of the one present, and rejects on abort', async ({ reader, insert }, t) => {
    const aborted = new AbortController();
    const gaveUp = reader.waitForCard(aborted.signal);
    aborted.abort(new Error('cardholder walked away'));
    await t.throwsAsync(gaveUp);

    const card = vectorCard();
    const waiting = reader.waitForCard();
    await insert(card);
    t.is(toHex(await waiting), toHex(card.atr));
    t.is(toHex(await reader.waitForCard()), toHex(card.atr), 'a card already in the field');
  });

  withRig('connect, SELECT and GET BALANCE through the channel', async ({ reader, insert }, t) => {
    const card = vectorCard();
    await insert(card);
    const ch = await reader.connect();
    try {
      t.is(toHex(ch.atr), toHex(card.atr));
      t.is(toHex(await ch.transmit(SELECT)), h('6F0B 8409 A00000000386980701 9000'));
      t.is(toHex(await ch.transmit(GET_BALANCE)), h('00002710 9000'));
    } finally {
      await ch.close();
    }
  });

  withRig('connect with no card is CARD_ABSENT', async ({ reader }, t) => {
    const err = await t.throwsAsync(reader.connect(), { instanceOf: QuancunError });
    t.is(err?.code, 'CARD_ABSENT');
  });

  withRig('transmit after the card left is CARD_REMOVED, and the next connect is CARD_ABSENT', async ({ reader, insert, remove }, t) => {
    await insert(vectorCard());
    const ch = await reader.connect();
    t.is(toHex(await ch.transmit(SELECT)).slice(-4), '9000');
    await remove();
    const err = await t.throwsAsync(ch.transmit(GET_BALANCE), { instanceOf: QuancunError });
    t.is(err?.code, 'CARD_REMOVED');
    await ch.close().catch(() => {});
    const absent = await t.throwsAsync(reader.connect(), { instanceOf: QuancunError });
    t.is(absent?.code, 'CARD_ABSENT');
  });

  withRig('a full load through the reader changes the balance', async ({ reader, insert }, t) => {
    const card = vectorCard();
    await insert(card);
    const ch = await reader.connect();
    try {
      await ch.transmit(SELECT);
      // INITIALIZE FOR LOAD 50.00 yuan at terminal 112233445566: oldBalance | counter 0005 | 01 00 | random | MAC1
      t.is(toHex(await ch.transmit(fromHex('805000020B 01 00001388 112233445566 10'))), h('00002710 0005 01 00 11223344 5C994F88 9000'));
      // MAC2 3405F523 = the host's MAC over 00001388 02 112233445566 20240915 143005 under the session key; TAC back
      t.is(toHex(await ch.transmit(fromHex('805200000B 20240915 143005 3405F523 04'))), h('91C4D42C 9000'));
      t.is(toHex(await ch.transmit(GET_BALANCE)), h('00003A98 9000'));
      t.is(toHex(await ch.transmit(fromHex('805A0002020006 08'))), h('3405F523 91C4D42C 9000'));
    } finally {
      await ch.close();
    }
  });
}
