/**
 * The PIN pad line protocol as the host reads it: frames out of a byte stream, and what each frame says. Frames are
 * written out byte by byte; the LRC is the XOR of the payload and ETX, worked by hand in each comment.
 */
import test from 'ava';
import { FrameReader, parsePadFrame, redactFrame } from '../../hal/pin-pad/protocol.ts';

test('each pad frame the protocol defines reads as its message', (t) => {
  t.deepEqual(parsePadFrame(['R', 'NOKEY']), { kind: 'ready', keyCheckValue: undefined });
  t.deepEqual(parsePadFrame(['R', 'A1B2C3']), { kind: 'ready', keyCheckValue: 'A1B2C3' });
  t.deepEqual(parsePadFrame(['A']), { kind: 'accepted' });
  t.deepEqual(parsePadFrame(['N', 'BUSY']), { kind: 'refused', reason: 'BUSY' });
  t.deepEqual(parsePadFrame(['K', '0']), { kind: 'progress', digits: 0 });
  t.deepEqual(parsePadFrame(['K', '12']), { kind: 'progress', digits: 12 });
  t.deepEqual(parsePadFrame(['B', '0123456789abcdef']), { kind: 'block', block: Buffer.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]) });
  t.deepEqual(parsePadFrame(['X']), { kind: 'cancelled' });
  t.deepEqual(parsePadFrame(['I', 'PAD-0001', '7B217F']), { kind: 'info', serial: 'PAD-0001', keyCheckValue: '7B217F' });
  t.deepEqual(parsePadFrame(['I', 'PAD-0001', 'NOKEY']), { kind: 'info', serial: 'PAD-0001', keyCheckValue: undefined });
});

test('the traced L frame masks the encrypted key and keeps the check value', (t) => {
  // STX 'L|' 32 '*' '|7B217F' ETX and the LRC of the masked frame, as the trace shows it
  t.is(redactFrame(['L', '2B677F3291E1CA96CAA46F0006A08C46', '7B217F']).subarray(1, -2).toString('ascii'), `L|${'*'.repeat(32)}|7B217F`);
});

test('a frame with a count, check value or block out of shape is ignored, not passed on', (t) => {
  for (const fields of [['K', '13'], ['K', '-1'], ['K', 'abc'], ['K', ''], ['R', 'A1B2'], ['R', 'ZZZZZZ'], ['B', '0123'], ['I', '', 'NOKEY'], ['I', 'PAD-0001', 'A1B2'], ['I', 'PAD-0001'], ['I', 'A'.repeat(17), 'NOKEY'], ['Z'], ['Q', '1'], []]) {
    t.is(parsePadFrame(fields), null, JSON.stringify(fields));
  }
});

test('frames split across chunks and several in one chunk are all read; a bad LRC is dropped and counted', (t) => {
  const reader = new FrameReader();
  // STX 'K' '|' '3' ETX LRC: 0x4b ^ 0x7c ^ 0x33 ^ 0x03 = 0x07
  t.deepEqual(reader.push(Buffer.from([0x02, 0x4b, 0x7c])), []);
  // ... the rest, then STX 'A' ETX LRC 0x41 ^ 0x03 = 0x42, then STX 'X' ETX with a wrong LRC
  t.deepEqual(reader.push(Buffer.from([0x33, 0x03, 0x07, 0x02, 0x41, 0x03, 0x42, 0x02, 0x58, 0x03, 0x00])), [['K', '3'], ['A']]);
  t.is(reader.rejected, 1);
});

// 'N|' and thirty-nine 'A': 0x4e ^ 0x7c = 0x32, an odd count of 0x41 leaves one, ^ ETX 0x03 = 0x70; forty 'A': 0x31
const A = 0x41;
const payload41 = [0x4e, 0x7c, ...Array<number>(39).fill(A)];
const payload42 = [0x4e, 0x7c, ...Array<number>(40).fill(A)];

test('the longest frame the protocol has is read: L with a 32-hex key and a 6-hex check value, 41 payload bytes', (t) => {
  const reader = new FrameReader();
  // 'L|' 0x4c ^ 0x7c = 0x30; 38 '0' (0x30, an even count) cancel, '|' 0x7c: 0x30 ^ 0x7c ^ ETX = 0x4f
  const l = [0x4c, 0x7c, ...Array<number>(32).fill(0x30), 0x7c, ...Array<number>(6).fill(0x30)];
  t.deepEqual(reader.push(Buffer.from([0x02, ...l, 0x03, 0x4f])), [['L', '0'.repeat(32), '0'.repeat(6)]]);
  t.deepEqual(reader.push(Buffer.from([0x02, ...payload41, 0x03, 0x70])), [['N', 'A'.repeat(39)]]);
  t.is(reader.rejected, 0);
});

test('a frame one byte longer than the longest is dropped and counted even with a good LRC', (t) => {
  const reader = new FrameReader();
  t.deepEqual(reader.push(Buffer.from([0x02, ...payload42, 0x03, 0x31])), []);
  t.is(reader.rejected, 1);
  // the next frame is read as usual: STX 'A' ETX 0x42
  t.deepEqual(reader.push(Buffer.from([0x02, 0x41, 0x03, 0x42])), [['A']]);
});

test('an STX whose ETX never comes is dropped after the longest payload, and the reader finds the next frame', (t) => {
  const reader = new FrameReader();
  t.deepEqual(reader.push(Buffer.from([0x02])), []);
  // 100,000 bytes of line noise without an ETX, a byte at a time for the first 50 and then in one chunk
  for (let i = 0; i < 50; i++) t.deepEqual(reader.push(Buffer.from([0x78])), []);
  t.deepEqual(reader.push(Buffer.alloc(99_950, 0x78)), []);
  t.is(reader.rejected, 1);
  // STX 'K' '|' '3' ETX 0x07 after the noise: read, where a reader keeping the noise would have taken it as its payload
  t.deepEqual(reader.push(Buffer.from([0x02, 0x4b, 0x7c, 0x33, 0x03, 0x07])), [['K', '3']]);
  t.is(reader.rejected, 1);
});

test('an overlong frame holding an STX resynchronises there: the frame inside it is read', (t) => {
  const reader = new FrameReader();
  // STX, 50 noise bytes, then STX 'X' ETX 0x5b (0x58 ^ 0x03) with no ETX between the two STX
  t.deepEqual(reader.push(Buffer.from([0x02, ...Array<number>(50).fill(0x78), 0x02, 0x58, 0x03, 0x5b])), [['X']]);
  t.is(reader.rejected, 1);
});
