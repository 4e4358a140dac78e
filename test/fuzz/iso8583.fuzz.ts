/**
 * ISO 8583 from the bank, one target per shipped profile: the TCP stream in chunks through the frame decoder, each
 * body through the codec, and what the bank link does next with a decoded message (find its operation by template,
 * read its variables, locate its MAC, unwrap sign-on working keys). Seeds are every operation's request and response
 * as the profile's own templates and codec build them, framed both ways, alone and two to a chunk.
 */
import { BankKeys } from '../../gateway/bank/bank-keys.ts';
import { bankProfilePath } from '../../gateway/banks.ts';
import { createCodec } from '../../gateway/bank/iso8583/codec.ts';
import { FrameDecoder, frame } from '../../gateway/bank/iso8583/framing.ts';
import { encodeWithMac, macParts } from '../../gateway/bank/iso8583/message-mac.ts';
import { loadBankProfile, OPERATIONS } from '../../gateway/bank/iso8583/profile.ts';
import { buildMessage, matchesTemplate, readMessage, type Vars } from '../../gateway/bank/iso8583/template.ts';
import { bound, chunked, messageBytes, type FuzzTarget } from './target.ts';

const VARS: Vars = {
  stan: '000123', terminalId: 'QC000001', merchantId: '898310048990001', batch: '000001', operator: '001',
  pan: '6217000010000000018', amount: '000000010000', pinBlock: Buffer.from('0123456789ABCDEF', 'hex'),
  campusRef: 'K001-00000001', reason: '98', responseCode: '00', bankRef: '250901000123', hostDate: '1128',
  hostTime: '115959', workingKeys: Buffer.alloc(40, 0x5a), debitAmount: '000000010000', debitCount: '001',
  creditAmount: '000000000000', creditCount: '000', settleResult: '1',
};
const TMK = Buffer.from('0123456789ABCDEFFEDCBA9876543210', 'hex');

export function iso8583Target(profileId: string): FuzzTarget {
  const profile = loadBankProfile(bankProfilePath(profileId));
  const codec = createCodec(profile);
  const keys = new BankKeys({ tmk: TMK });
  const frames = OPERATIONS.flatMap((op) => {
    const t = profile.templates[op];
    return (['request', 'response'] as const).map((dir) => {
      const msg = buildMessage(t[dir], profile.fields, VARS);
      const body = t.mac ? encodeWithMac(codec, profile.mac, msg, () => Buffer.alloc(8, 0xa5)) : codec.encode(msg);
      return frame(profile.framing, body, dir);
    });
  });
  const seeds = [...frames, Buffer.concat([frames[0]!, frames.at(-1)!])];

  return {
    name: `iso8583-${profileId}`,
    about: `ISO 8583, ${profileId} profile: frame decoder, codec, template matching, MAC location, field 62 working keys`,
    inputs: chunked(messageBytes(seeds)),
    run(chunks) {
      const decoder = new FrameDecoder(profile.framing);
      const received = chunks.reduce((n, c) => n + c.length, 0);
      let decoded = 0;
      for (const chunk of chunks) {
        for (const body of decoder.push(chunk)) {
          decoded += body.length;
          bound(decoded <= received, 'frame bodies hold more bytes than were received');
          const msg = codec.decode(body);
          const values = Object.values(msg.fields);
          // BCD digits are two characters a byte: nothing decoded is larger than that
          bound(values.reduce((n, v) => n + v.length, 0) <= 2 * body.length, 'decoded fields outgrow the body');
          const op = OPERATIONS.find((o) => matchesTemplate(profile.templates[o].response, msg));
          if (op === undefined) continue;
          const vars = readMessage(profile.templates[op].response, msg);
          macParts(profile.mac, body, msg);
          if (op === 'signOn' && Buffer.isBuffer(vars.workingKeys)) keys.installWorkingKeys(vars.workingKeys, profile.workingKeys);
        }
      }
    },
  };
}
