/**
 * The card's answers as the kiosk's purse module reads them (runtime/card/purse.ts, card-write.ts): every purse
 * command of a load, a torn load's proof and a purchase runs against a card that gives the input's answers in turn,
 * under the campus profile and under an FID-path, ASCII-PIN, GBK-holder one. Seeds are the answers the virtual card
 * gives for the vectors of test/unit/purse.test.ts (challenge 11223344, online counter 5, 50.00 yuan onto 100.00) and
 * the refusals a card gives; every command also meets every other command's answers.
 */
import fc from 'fast-check';
import { fromHex } from '../../common/bytes.ts';
import { QuancunError } from '../../common/errors.ts';
import type { CardChannel } from '../../hal/card-reader/card-reader.ts';
import { CAMPUS_CARD_PROFILE, type CardProfile } from '../../runtime/card/card-profile.ts';
import type { CardWriteResult } from '../../runtime/card/card-write.ts';
import {
  creditForLoad, debitForPurchase, getBalance, getTransactionProve, initializeForLoad, initializeForPurchase,
  readHolder, readPublicData, readRecords, selectPurse, verifyPin,
} from '../../runtime/card/purse.ts';
import { attempt, bound, messageBytes, type FuzzTarget, type Input } from './target.ts';

const seeds = [
  '6F0B8409 A00000000386980701 9000', // SELECT by AID: FCI with the DF name
  '9000', // SELECT by FID, VERIFY
  // READ BINARY EF 0x15: issuer | app type, version | ASN | start, end date | reserved
  '4300000000000001 0201 00001234567890123456 20240901 20340831 0000 9000',
  // READ BINARY EF 0x16: '张三' (UTF-8) and '2024001', each 00-padded to 20 bytes | id type 01
  `E5BCA0E4B889 ${'00'.repeat(14)} 32303234303031 ${'00'.repeat(13)} 01 9000`,
  'D5C5C8FD20202020 32303234303031FF 9000', // EF 0x16 of the GBK profile: '张三' space-padded, '2024001' FF-padded
  '00002710 9000', // GET BALANCE: 100.00
  '00002710 0005 01 00 11223344 5C994F88 9000', // INITIALIZE FOR LOAD: balance | counter | key version, alg | random | MAC1
  '91C4D42C 9000', // CREDIT FOR LOAD: TAC
  '3405F523 91C4D42C 9000', // GET TRANSACTION PROVE: MAC | TAC
  '0005 000000 00001388 02 112233445566 20240915 143005 9000', // READ RECORD
  '00002710 0007 000000 01 00 AABBCCDD 9000', // INITIALIZE FOR PURCHASE: balance | counter | overdraft | version, alg | random
  '1F75367B F70EE359 9000', // DEBIT FOR PURCHASE: TAC | MAC2
  '63C2', '6983', '9302', '9401', '9406', '6A83', '6985',
].map((hex) => fromHex(hex));

const GBK_PROFILE: CardProfile = {
  name: 'fuzz-gbk',
  selection: { by: 'fid-path', path: ['3F01', '1001', 'DF03'] },
  pinEncoding: 'ascii',
  holder: { length: 16, name: { offset: 0, length: 8, encoding: 'gbk' }, staffNo: { offset: 8, length: 8 }, idType: null },
};

/** A card that answers the i-th command with the input's i-th answer, round and round. */
function card(answers: Input): CardChannel {
  let next = 0;
  return { atr: Buffer.alloc(0), transmit: async () => answers[next++ % answers.length]!, close: async () => {} };
}

const is4 = (b: Buffer) => b.length === 4;

/** A card write decides, it never throws; applied carries exactly the answer's data. */
function checkWrite<T>(r: unknown, check: (value: T) => boolean): void {
  bound(!(r instanceof QuancunError), 'a card write threw instead of deciding');
  const w = r as CardWriteResult<T>;
  if (w.decision === 'applied') bound(check(w.value), 'an applied write whose value is not the whole answer');
  else bound(w.error instanceof QuancunError, 'a write not applied without a QuancunError');
}

async function session(answers: Input, profile: CardProfile): Promise<void> {
  const ch = () => card(answers);
  const load = { keyIndex: 1, amount: 5_000, terminalId: fromHex('112233445566') };
  const stamp = { date: fromHex('20240915'), time: fromHex('143005') };
  await attempt(() => selectPurse(ch(), profile));
  await attempt(() => verifyPin(ch(), '123456', profile));
  const pub = await attempt(() => readPublicData(ch()));
  if (!(pub instanceof QuancunError)) {
    const p = pub as Awaited<ReturnType<typeof readPublicData>>;
    bound(/^[0-9A-F]{20}$/.test(p.asn) && /^\d{8}$/.test(p.startDate) && /^\d{8}$/.test(p.endDate), 'public data out of shape');
  }
  await attempt(() => readHolder(ch(), profile));
  await attempt(() => getBalance(ch()));
  const init = await attempt(() => initializeForLoad(ch(), load));
  if (!(init instanceof QuancunError)) {
    const i = init as Awaited<ReturnType<typeof initializeForLoad>>;
    bound(is4(i.random) && is4(i.mac1), 'a random or MAC1 that is not 4 bytes');
  }
  checkWrite<Buffer>(await attempt(() => creditForLoad(ch(), { ...stamp, mac2: fromHex('3405F523') })), is4);
  const proof = await attempt(() => getTransactionProve(ch(), { type: 2, counter: 6 }));
  if (proof && !(proof instanceof QuancunError)) {
    const p = proof as { mac: Buffer; tac: Buffer };
    bound(is4(p.mac) && is4(p.tac), 'a proof MAC or TAC that is not 4 bytes');
  }
  const records = await attempt(() => readRecords(ch(), 3));
  if (Array.isArray(records)) bound(records.length <= 3, 'more records than asked for');
  await attempt(() => initializeForPurchase(ch(), load));
  checkWrite(await attempt(() => debitForPurchase(ch(), { ...stamp, terminalTxSeq: 0x00010203, mac1: fromHex('5C64C6DB') })),
    (v: { tac: Buffer; mac2: Buffer }) => is4(v.tac) && is4(v.mac2));
}

export const purseTarget: FuzzTarget = {
  name: 'purse',
  about: "the card's APDU answers through the purse module: select, read, PIN, load, proof, records, purchase",
  inputs: fc.array(messageBytes(seeds), { minLength: 1, maxLength: 4 }),
  async run(answers) {
    await session(answers, CAMPUS_CARD_PROFILE);
    await session(answers, GBK_PROFILE);
  },
};
