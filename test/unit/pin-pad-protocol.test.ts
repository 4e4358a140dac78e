/**
 * The PIN pad line protocol as the host reads it: frames out of a byte stream, and what each frame says. Frames are
 * written out byte by byte; the LRC is the XOR of the payload and ETX, worked by hand in each comment.
 */
import test from 'ava';
import { FrameReader, parsePadFrame } from '../../hal/pin-pad/protocol.ts';

test('each pad frame the protocol defines reads as its message', (t) => {
  t.deepEqual(parsePadFrame(['R', 'NOKEY']), { kind: 'ready', keyCheckValue: undefined });
  t.deepEqual(parsePadFrame(['R', 'A1B2C3']), { kind: 'ready', keyCheckValue: 'A1B2C3' });
  t.deepEqual(parsePadFrame(['A']), { kind: 'accepted' });
  t.deepEqual(parsePadFrame(['N', 'BUSY']), { kind: 'refused', reason: 'BUSY' });
  t.deepEqual(parsePadFrame(['K', '0']), { kind: 'progress', digits: 0 });
  t.deepEqual(parsePadFrame(['K', '12']), { kind: 'progress', digits: 12 });
  t.deepEqual(parsePadFrame(['B', '0123456789abcdef']), { kind: 'block', block: Buffer.from([0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef]) });
  t.deepEqual(parsePadFrame(['X']), { kind: 'cancelled' });
});

test('a frame with a count, check value or block out of shape is ignored, not passed on', (t) => {
  for (const fields of [['K', '13'], ['K', '-1'], ['K', 'abc'], ['K', ''], ['R', 'A1B2'], ['R', 'ZZZZZZ'], ['B', '0123'], ['Z'], ['Q', '1'], []]) {
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
