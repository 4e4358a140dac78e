/**
 * The PIN pad line as either end reads it: bytes in chunks as the serial port delivers them, through FrameReader, and
 * every frame read through parsePadFrame (what the host does with it) and redactFrame (what the trace shows). Seeds
 * are frame streams the driver and the emulator write: a whole entry from ping to PIN block, each refusal, a cancel.
 * Mutations nearly always break a frame's LRC, so each input is also fed with every LRC made good: the mutated
 * payloads then reach parsePadFrame as well as the reader's check.
 */
import { encodeFrame, ETX, FrameReader, lrc, MAX_PAYLOAD, parsePadFrame, redactFrame, STX } from '../../hal/pin-pad/protocol.ts';
import { bound, chunked, messageBytes, type FuzzTarget, type Input } from './target.ts';

const stream = (...frames: string[][]) => Buffer.concat(frames.map(encodeFrame));
const seeds = [
  stream(['P'], ['R', 'A1B2C3'], ['E', '123456789012', '4', '12'], ['A'], ['K', '1'], ['K', '2'], ['K', '1'], ['K', '2'],
    ['K', '3'], ['K', '4'], ['B', '0123456789ABCDEF']),
  stream(['P'], ['R', 'NOKEY'], ['E', '123456789012', '4', '12'], ['N', 'NOKEY']),
  stream(['N', 'BUSY'], ['N', 'FORMAT'], ['K', '12'], ['K', '0']),
  stream(['E', '123456789012', '12', '12'], ['A'], ['K', '1'], ['X'], ['C'], ['Z']),
  stream(['I'], ['I', 'PAD-0001', 'NOKEY'], ['L', '2B677F3291E1CA96CAA46F0006A08C46', '7B217F'], ['R', '7B217F'], ['N', 'KCV']),
];

/** The input with the byte after each STX…ETX set to that frame's LRC, cut at the same places. */
function withGoodLrcs(chunks: Input): Input {
  const bytes = Buffer.concat(chunks);
  for (let start = bytes.indexOf(STX); start >= 0; start = bytes.indexOf(STX, start + 1)) {
    const end = bytes.indexOf(ETX, start + 1);
    if (end < 0 || end + 1 >= bytes.length) break;
    bytes[end + 1] = lrc(bytes.subarray(start + 1, end + 1));
  }
  let at = 0;
  return chunks.map((c) => bytes.subarray(at, (at += c.length)));
}

function read(chunks: Input): void {
  const reader = new FrameReader();
  let frames = 0;
  for (const chunk of chunks) {
    for (const fields of reader.push(chunk)) {
      frames++;
      bound(fields.join('|').length <= MAX_PAYLOAD, 'a frame longer than the protocol allows');
      redactFrame(fields);
      const m = parsePadFrame(fields);
      if (m?.kind === 'progress') bound(Number.isInteger(m.digits) && m.digits >= 0 && m.digits <= 12, 'a digit count outside 0..12');
      if (m?.kind === 'block') bound(m.block.length === 8, 'a PIN block that is not 8 bytes');
      if (m?.kind === 'info') bound(/^[\x21-\x7e]{1,16}$/.test(m.serial), 'a pad serial out of shape');
      if ((m?.kind === 'ready' || m?.kind === 'info') && m.keyCheckValue !== undefined) bound(/^[0-9A-F]{6}$/i.test(m.keyCheckValue), 'a check value that is not 6 hex digits');
    }
  }
  const stxs = chunks.reduce((n, c) => n + c.filter((b) => b === STX).length, 0);
  bound(frames + reader.rejected <= stxs, 'more frames read or dropped than STX bytes sent');
  // MAX_PAYLOAD + 2 bytes with neither STX nor ETX end whatever the reader holds (a frame completes or is overlong): the next frame
  // is then read on its own, whatever came before
  reader.push(Buffer.alloc(MAX_PAYLOAD + 2, 0x30));
  bound(JSON.stringify(reader.push(encodeFrame(['A']))) === '[["A"]]', 'the reader kept bytes past the longest frame');
}

export const pinPadTarget: FuzzTarget = {
  name: 'pin-pad',
  about: 'PIN pad line frames in chunks through FrameReader, parsePadFrame and redactFrame',
  inputs: chunked(messageBytes(seeds)),
  run(chunks) {
    read(chunks);
    read(withGoodLrcs(chunks));
  },
};
