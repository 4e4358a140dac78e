/**
 * Linux input_event records as read from /dev/input/eventN: struct timeval, u16 type, u16 code, s32 value, in the
 * kernel's byte order (little-endian on ARM and x86). The timeval is two longs, so a record is 16 bytes for a 32-bit
 * process and 24 bytes for a 64-bit one.
 */
import { EventEmitter } from 'node:events';
import { createReadStream, type ReadStream } from 'node:fs';

export const EV_SYN = 0x00;
export const EV_KEY = 0x01;
export const EV_ABS = 0x03;
export const SYN_REPORT = 0;

export interface InputEvent {
  sec: number;
  usec: number;
  type: number;
  code: number;
  value: number;
}

export type RecordSize = 16 | 24;

/** 'auto' follows this process's word size, which is what the kernel uses for its records (compat for 32-bit). */
export function resolveRecordSize(size: RecordSize | 'auto', arch: string = process.arch): RecordSize {
  if (size !== 'auto') return size;
  return arch === 'arm' || arch === 'ia32' ? 16 : 24;
}

/** Parses whole records; a partial record at the end is returned as `rest` for the next chunk. */
export function parseInputEvents(buf: Buffer, size: RecordSize): { events: InputEvent[]; rest: Buffer } {
  const events: InputEvent[] = [];
  const half = size === 16 ? 4 : 8;
  let off = 0;
  for (; off + size <= buf.length; off += size) {
    const sec = half === 4 ? buf.readUInt32LE(off) : Number(buf.readBigInt64LE(off));
    const usec = half === 4 ? buf.readUInt32LE(off + 4) : Number(buf.readBigInt64LE(off + 8));
    const p = off + 2 * half;
    events.push({ sec, usec, type: buf.readUInt16LE(p), code: buf.readUInt16LE(p + 2), value: buf.readInt32LE(p + 4) });
  }
  return { events, rest: buf.subarray(off) };
}

export interface InputEventReaderEvents {
  event: [event: InputEvent];
  error: [error: Error];
  end: [];
}

/** Reads an event device (or a FIFO or file in tests) as a stream of input events. */
export class InputEventReader extends EventEmitter<InputEventReaderEvents> {
  readonly recordSize: RecordSize;
  private stream: ReadStream | null = null;

  constructor(readonly device: string, recordSize: RecordSize | 'auto' = 'auto') {
    super();
    this.recordSize = resolveRecordSize(recordSize);
  }

  start(): void {
    let pending: Buffer = Buffer.alloc(0);
    this.stream = createReadStream(this.device);
    this.stream.on('data', (chunk) => {
      const { events, rest } = parseInputEvents(Buffer.concat([pending, chunk as Buffer]), this.recordSize);
      pending = rest;
      for (const ev of events) this.emit('event', ev);
    });
    this.stream.on('error', (err) => this.emit('error', err));
    this.stream.on('end', () => this.emit('end'));
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
  }
}
