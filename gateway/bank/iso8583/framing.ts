/**
 * Framing of ISO 8583 messages on a TCP stream: length prefix | TPDU | header | body. The decoder is incremental:
 * TCP may split a frame across chunks or put several frames in one chunk.
 */
import { QuancunError } from '../../../common/errors.ts';

export interface FramingSpec {
  lengthPrefix: { bytes: number; encoding: 'binary' | 'ascii' | 'bcd' };
  /** 5-byte TPDU: id | destination | source, as hex; a response swaps destination and source. */
  tpdu: { id: string; destination: string; source: string } | null;
  /** Fixed message header as hex (UnionPay: 6 bytes), or null. */
  header: string | null;
}

/** Frames never need more; a larger length means the stream is out of step. */
const MAX_FRAME = 8192;

function prefixOf(spec: FramingSpec, length: number): Buffer {
  const { bytes, encoding } = spec.lengthPrefix;
  if (encoding === 'ascii') return Buffer.from(String(length).padStart(bytes, '0'), 'ascii');
  return Buffer.from(encoding === 'bcd' ? String(length).padStart(bytes * 2, '0') : length.toString(16).padStart(bytes * 2, '0'), 'hex');
}

function lengthOf(spec: FramingSpec, raw: Buffer): number {
  const { encoding } = spec.lengthPrefix;
  const text = encoding === 'ascii' ? raw.toString('ascii') : raw.toString('hex');
  if (encoding === 'binary') return parseInt(text, 16);
  if (!/^\d+$/.test(text)) throw new QuancunError('BANK_PROTOCOL', 'frame length prefix is not decimal');
  return Number(text);
}

function preamble(spec: FramingSpec, direction: 'request' | 'response'): Buffer {
  const t = spec.tpdu;
  const tpdu = t ? Buffer.from(direction === 'request' ? t.id + t.destination + t.source : t.id + t.source + t.destination, 'hex') : Buffer.alloc(0);
  return Buffer.concat([tpdu, Buffer.from(spec.header ?? '', 'hex')]);
}

export function frame(spec: FramingSpec, body: Buffer, direction: 'request' | 'response'): Buffer {
  const payload = Buffer.concat([preamble(spec, direction), body]);
  return Buffer.concat([prefixOf(spec, payload.length), payload]);
}

/** Feed it chunks as they arrive; it returns the message bodies (from the MTI on) completed by each chunk. */
export class FrameDecoder {
  #pending: Buffer = Buffer.alloc(0);
  readonly #preambleBytes: number;

  constructor(private readonly spec: FramingSpec) {
    this.#preambleBytes = (spec.tpdu ? 5 : 0) + (spec.header ? spec.header.length / 2 : 0);
  }

  push(chunk: Buffer): Buffer[] {
    this.#pending = this.#pending.length ? Buffer.concat([this.#pending, chunk]) : chunk;
    const bodies: Buffer[] = [];
    const prefix = this.spec.lengthPrefix.bytes;
    while (this.#pending.length >= prefix) {
      const length = lengthOf(this.spec, this.#pending.subarray(0, prefix));
      if (length <= this.#preambleBytes || length > MAX_FRAME) throw new QuancunError('BANK_PROTOCOL', `frame length ${length} is impossible`);
      if (this.#pending.length < prefix + length) break;
      const payload = this.#pending.subarray(prefix, prefix + length);
      if (this.spec.tpdu && payload[0] !== parseInt(this.spec.tpdu.id, 16)) {
        throw new QuancunError('BANK_PROTOCOL', `TPDU id ${payload[0]?.toString(16)} is not ${this.spec.tpdu.id}`);
      }
      bodies.push(Buffer.from(payload.subarray(this.#preambleBytes)));
      this.#pending = this.#pending.subarray(prefix + length);
    }
    return bodies;
  }
}
