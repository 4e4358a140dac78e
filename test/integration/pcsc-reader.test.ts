/**
 * PcscCardReader on the real PC/SC stack: a card written here answers through vpcd and the private pcscd of
 * scripts/test.sh. Card arrival and departure are awaited as reader events (pcscd polls presence about every 400 ms).
 */
import test from 'ava';
import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';
import { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import type { CardDevice } from '../../sim/card/card-device.ts';
import { claimVpcdSlot, pcscRig, requirePrivatePcscd } from '../support/pcsc.ts';
import { tempDir } from '../support/temp-dir.ts';

/** A card OS with T=0 habits: answers in 61xx chunks and asks for the right Le with 6Cxx. */
class ChattyCard implements CardDevice {
  readonly atr = Buffer.from('3b8880017175616e63756e314b', 'hex'); // T=1, historical bytes "quancun1"
  readonly commands: string[] = [];
  resets = 0;
  #pending = Buffer.alloc(0);

  reset(): void {
    this.resets++;
  }

  transmit(apdu: Buffer): Buffer {
    this.commands.push(apdu.toString('hex'));
    const ins = apdu[1];
    const le = apdu.length === 5 ? apdu[4]! : 0;
    if (ins === 0xa4) return sw(0x9000);
    if (ins === 0xb0) return le === 0x1e ? Buffer.concat([Buffer.alloc(0x1e, 0x15), sw(0x9000)]) : sw(0x6c1e);
    if (ins === 0xca) {
      this.#pending = Buffer.from(Array.from({ length: 20 }, (_, i) => i));
      return sw(0x6110);
    }
    if (ins === 0xc0) {
      const chunk = this.#pending.subarray(0, le);
      this.#pending = this.#pending.subarray(le);
      return Buffer.concat([chunk, sw(this.#pending.length ? 0x6100 | this.#pending.length : 0x9000)]);
    }
    if (ins === 0xb2) return Buffer.concat([Buffer.alloc(256, 0xb2), sw(0x9000)]);
    return sw(0x6d00);
  }
}

function sw(word: number): Buffer {
  return Buffer.from([word >> 8, word & 0xff]);
}

const hex = (s: string) => Buffer.from(s.replaceAll(' ', ''), 'hex');

test.before(() => requirePrivatePcscd());

test('a card put on a vpcd slot appears on its reader, APDUs round trip', async (t) => {
  const { slot, reader, connector } = await pcscRig(t);
  t.is(reader.name, slot.readerName);
  t.false(reader.cardPresent);
  const card = new ChattyCard();
  const present = reader.waitForCard();
  await connector.insert(card);
  t.deepEqual(await present, card.atr);
  t.true(reader.cardPresent);

  const channel = await reader.connect();
  t.deepEqual(channel.atr, card.atr);
  t.deepEqual(await channel.transmit(hex('00 A4 04 00 09 A0 00 00 00 03 86 98 07 01 00')), sw(0x9000));
  t.deepEqual(await channel.transmit(hex('00 B2 01 C4 00')), Buffer.concat([Buffer.alloc(256, 0xb2), sw(0x9000)]));
  t.deepEqual(await channel.transmit(hex('80 FF 00 00')), sw(0x6d00));
  // Concurrent callers are served one command after another.
  const answers = await Promise.all([1, 2, 3].map(() => channel.transmit(hex('00 A4 04 00 00'))));
  t.deepEqual(answers, [sw(0x9000), sw(0x9000), sw(0x9000)]);
  await channel.close();
});

test('61xx is followed by GET RESPONSE and 6Cxx re-sent with the Le the card asked for', async (t) => {
  const { reader, connector } = await pcscRig(t);
  const card = new ChattyCard();
  await connector.insert(card);
  await reader.waitForCard();
  const channel = await reader.connect();

  const data = await channel.transmit(hex('00 CA 00 00 00'));
  t.deepEqual(data, Buffer.concat([Buffer.from(Array.from({ length: 20 }, (_, i) => i)), sw(0x9000)]));
  t.deepEqual(card.commands.slice(-3), ['00ca000000', '00c0000010', '00c0000004']);

  const binary = await channel.transmit(hex('00 B0 95 00 00'));
  t.deepEqual(binary, Buffer.concat([Buffer.alloc(0x1e, 0x15), sw(0x9000)]));
  t.deepEqual(card.commands.slice(-2), ['00b0950000', '00b095001e']);
  await channel.close();
});

test('removal: absent, CARD_REMOVED on the open channel, CARD_ABSENT on connect; the card can come back', async (t) => {
  const { reader, connector } = await pcscRig(t);
  const card = new ChattyCard();
  await connector.insert(card);
  await reader.waitForCard();
  const channel = await reader.connect();
  t.deepEqual(await channel.transmit(hex('00 A4 04 00 00')), sw(0x9000));

  const absent = once(reader, 'absent');
  await connector.remove();
  await absent;
  t.false(reader.cardPresent);
  const removed = await t.throwsAsync(channel.transmit(hex('00 A4 04 00 00')), { instanceOf: QuancunError });
  t.is(removed?.code, 'CARD_REMOVED');
  const none = await t.throwsAsync(reader.connect(), { instanceOf: QuancunError });
  t.is(none?.code, 'CARD_ABSENT');

  const present = once(reader, 'present');
  await connector.insert(card);
  t.deepEqual((await present)[0], card.atr);
  const again = await reader.connect();
  t.deepEqual(await again.transmit(hex('00 A4 04 00 00')), sw(0x9000));
  await again.close();
  await channel.close(); // closing a channel of a card that left is harmless
});

test('a card pulled while the kiosk talks to it is a broken exchange, not a crash', async (t) => {
  const { reader, connector } = await pcscRig(t);
  await connector.insert(new ChattyCard());
  await reader.waitForCard();
  const channel = await reader.connect();
  await connector.remove();
  // Before pcscd's next presence poll the exchange itself fails; after it, the handle reports the removed card.
  const first = await t.throwsAsync(channel.transmit(hex('00 A4 04 00 00')), { instanceOf: QuancunError });
  t.true(['CARD_NO_ANSWER', 'CARD_NOT_TRANSACTED', 'CARD_REMOVED'].includes(first!.code), first?.code);
  await once(reader, 'absent');
  const second = await t.throwsAsync(channel.transmit(hex('00 A4 04 00 00')), { instanceOf: QuancunError });
  t.is(second?.code, 'CARD_REMOVED');
});

/** A counting card: every command it applies is recorded, so a tear 'after' shows it was applied. */
class CountingCard extends ChattyCard {
  applied = 0;
  override transmit(apdu: Buffer): Buffer {
    if (apdu[1] === 0x52) {
      this.applied++;
      return hex('91C4D42C 9000');
    }
    return super.transmit(apdu);
  }
}
const CREDIT = hex('80 52 00 00 0B 20240915 143005 3405F523 04');

for (const how of ['fin', 'rst'] as const) {
  test(`a card that applied a command and left by ${how.toUpperCase()} before answering: 0 bytes (CARD_NO_ANSWER), then CARD_NOT_TRANSACTED`, async (t) => {
    const { reader, connector } = await pcscRig(t);
    const card = new CountingCard();
    await connector.insert(card);
    await reader.waitForCard();
    const channel = await reader.connect();
    const absent = once(reader, 'absent');
    connector.tear({ ins: 0x52, when: 'after', how });
    t.is((await t.throwsAsync(channel.transmit(CREDIT), { instanceOf: QuancunError }))?.code, 'CARD_NO_ANSWER');
    t.is(card.applied, 1, 'the card applied it');
    const next = await t.throwsAsync(channel.transmit(hex('00 A4 04 00 00')), { instanceOf: QuancunError });
    t.true(['CARD_NOT_TRANSACTED', 'CARD_REMOVED'].includes(next!.code), next?.code);
    await absent;
    t.false(connector.inserted);
  });
}

test('a card that answers one byte is CARD_NO_ANSWER; garbage comes back as the card sent it', async (t) => {
  const { reader, connector } = await pcscRig(t);
  const card = new CountingCard();
  await connector.insert(card);
  await reader.waitForCard();
  const channel = await reader.connect();
  connector.tear({ ins: 0x52, when: 'after', how: { answer: '90' } });
  t.is((await t.throwsAsync(channel.transmit(CREDIT), { instanceOf: QuancunError }))?.code, 'CARD_NO_ANSWER');
  connector.tear({ ins: 0x52, when: 'before', how: { answer: '123456' } });
  t.deepEqual(await channel.transmit(CREDIT), hex('123456'));
  t.is(card.applied, 1);
  t.deepEqual(await channel.transmit(hex('00 A4 04 00 00')), sw(0x9000), 'the card is still there and answers');
});

test('a card that sends an empty frame is never answered by pcscd: CARD_TIMEOUT, and the reader serves the next card', async (t) => {
  const { reader, connector } = await pcscRig(t, { answerTimeoutMs: 300 });
  await connector.insert(new CountingCard());
  await reader.waitForCard();
  const channel = await reader.connect();
  connector.tear({ ins: 0x52, when: 'after', how: { answer: '' } });
  t.is((await t.throwsAsync(channel.transmit(CREDIT), { instanceOf: QuancunError }))?.code, 'CARD_TIMEOUT');
  t.is((await t.throwsAsync(channel.transmit(hex('00 A4 04 00 00')), { instanceOf: QuancunError }))?.code, 'CARD_TIMEOUT', 'the handle is still busy');
  await channel.close();
  t.is((await t.throwsAsync(reader.connect(), { instanceOf: QuancunError }))?.code, 'CARD_TIMEOUT', 'a new session on the busy handle too');
  const absent = once(reader, 'absent');
  await connector.remove();
  await absent;
  const present = once(reader, 'present');
  await connector.insert(new ChattyCard());
  await present;
  const again = await reader.connect();
  t.deepEqual(await again.transmit(hex('00 A4 04 00 00')), sw(0x9000));
  await again.close();
});

test('start emits ready; a reader pcscd does not list is a READER_UNAVAILABLE fault', async (t) => {
  const { reader } = await pcscRig(t);
  t.true(reader.ready);

  const missing = new PcscCardReader({ readerName: /^No Such Reader$/ });
  t.teardown(() => missing.stop());
  const fault = once(missing, 'fault');
  await missing.start();
  const [error] = (await fault) as [QuancunError];
  t.is(error.code, 'READER_UNAVAILABLE');
  t.false(missing.ready);
  const refused = await t.throwsAsync(missing.connect(), { instanceOf: QuancunError });
  t.is(refused?.code, 'READER_UNAVAILABLE');
});

test('waitForCard rejects when aborted', async (t) => {
  const { reader } = await pcscRig(t);
  const controller = new AbortController();
  const waiting = reader.waitForCard(controller.signal);
  controller.abort(new Error('kiosk went out of service'));
  await t.throwsAsync(waiting, { message: 'kiosk went out of service' });
  t.is(reader.listenerCount('present'), 0);
});

test('one APDU round trip through vpcd takes well under the 40 ms delayed-ACK stall', async (t) => {
  const { reader, connector } = await pcscRig(t);
  await connector.insert(new ChattyCard());
  await reader.waitForCard();
  const channel = await reader.connect();
  const samples: number[] = [];
  for (let i = 0; i < 50; i++) {
    const start = process.hrtime.bigint();
    await channel.transmit(hex('00 A4 04 00 00'));
    samples.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  samples.sort((a, b) => a - b);
  const median = samples[25]!;
  t.log(`median APDU round trip ${median.toFixed(3)} ms, p90 ${samples[45]!.toFixed(3)} ms`);
  // scripts/test.sh sets quickack on the namespace's loopback route (QUANCUN_NO_QUICKACK=1 turns it off to compare).
  if (process.env.QUANCUN_NO_QUICKACK === '1') t.true(median > 20, 'expected the delayed-ACK stall without quickack');
  else t.true(median < 10, `median ${median} ms: is the quickack route missing?`);
  await channel.close();
});

/** Writes `go` in a folder and returns once `done` is there (run with execFileSync: the caller's event loop stands still). */
const GO_AND_WAIT = `const { watch, existsSync, writeFileSync } = require('node:fs');
const folder = process.argv[1], done = folder + '/done';
const watcher = watch(folder, () => existsSync(done) && process.exit(0));
writeFileSync(folder + '/go', '');
if (existsSync(done)) process.exit(0);`;

test('a card taken out and put back while the event loop stood still is a new presence: absent, present, the old channel gone', async (t) => {
  requirePrivatePcscd();
  const slot = await claimVpcdSlot();
  const folder = await tempDir(t);
  const reader = new PcscCardReader({ readerName: slot.readerName });
  // The hand is another process with its own PC/SC context: pcscd sees the card go and come back while this one is blocked.
  const hand = spawn(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '../support/vpcd-retap-child.ts'), String(slot.port), slot.readerName, folder],
    { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  t.teardown(async () => {
    const exited = hand.exitCode === null ? once(hand, 'exit') : undefined;
    if (hand.connected) hand.disconnect();
    await exited;
    await reader.stop();
    await slot.release();
  });
  const answered = (op: string) => new Promise<void>((resolve) => hand.on('message', (m) => m === op && resolve()));
  await Promise.all([reader.start(), answered('ready')]);
  const present = once(reader, 'present');
  hand.send('insert');
  await Promise.all([present, answered('insert')]);
  const channel = await reader.connect();

  const events: string[] = [];
  reader.on('absent', () => events.push('absent'));
  reader.on('present', () => events.push('present'));
  // Both statuses reach pcsclite's thread while this event loop is blocked: JS is handed only the last, same ATR.
  execFileSync(process.execPath, ['-e', GO_AND_WAIT, folder]);
  // Still before the queued status reaches JS: the card back is reported (bounded, so a missed one fails, not hangs).
  await once(reader, 'present', { signal: AbortSignal.timeout(10_000) }).catch(() => t.fail('the card put back was not reported present'));
  const removed = once(reader, 'absent');
  hand.send('remove');
  await Promise.all([removed, answered('remove')]);
  t.deepEqual(events, ['absent', 'present', 'absent']);
  const lost = await t.throwsAsync(channel.transmit(hex('00 A4 04 00 00')), { instanceOf: QuancunError });
  t.is(lost?.code, 'CARD_REMOVED');
});
