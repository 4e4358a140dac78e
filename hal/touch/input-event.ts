/**
 * Linux input_event records as read from /dev/input/eventN: struct timeval, u16 type, u16 code, s32 value, in the
 * kernel's byte order (little-endian on ARM and x86). The timeval is two longs, so a record is 16 bytes for a 32-bit
 * process and 24 bytes for a 64-bit one.
 */
import { EventEmitter } from 'node:events';
import { closeSync, constants, createReadStream, fstatSync, openSync, readSync, type ReadStream } from 'node:fs';
import { createRequire } from 'node:module';

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

interface Poller {
  add(fd: number, events: number): Poller;
  remove(fd: number): Poller;
  close(): void;
}
type EpollModule = { Epoll: { new (cb: (err: Error | null, fd: number) => void): Poller; EPOLLIN: number } };

const require = createRequire(import.meta.url);

/** onoff's epoll binding; undefined where it is not built (a laptop without build tools). */
function epoll(): EpollModule | undefined {
  try {
    return require('epoll') as EpollModule;
  } catch {
    return undefined;
  }
}

/**
 * Reads an event device (or a FIFO or file in tests) as a stream of input events. A device node is read without
 * blocking, woken by epoll: a blocking read sits in libuv's thread pool until the next touch, so a stop would keep the
 * process alive until someone touched the screen (the board test stops the kiosk with nobody touching). A FIFO or a
 * regular file (test fixtures, a recorded session) is read as a stream, as before.
 */
export class InputEventReader extends EventEmitter<InputEventReaderEvents> {
  readonly recordSize: RecordSize;
  private stream: ReadStream | null = null;
  private polled: { fd: number; poller: Poller } | null = null;
  private pending: Buffer = Buffer.alloc(0);

  constructor(readonly device: string, recordSize: RecordSize | 'auto' = 'auto') {
    super();
    this.recordSize = resolveRecordSize(recordSize);
  }

  start(): void {
    const module = epoll();
    let fd: number;
    try {
      fd = openSync(this.device, constants.O_RDONLY | constants.O_NONBLOCK);
    } catch (err) {
      process.nextTick(() => this.emit('error', err as Error));
      return;
    }
    if (!module || !fstatSync(fd).isCharacterDevice()) {
      closeSync(fd);
      this.stream = createReadStream(this.device);
      this.stream.on('data', (chunk) => this.feed(chunk as Buffer));
      this.stream.on('error', (err) => this.emit('error', err));
      this.stream.on('end', () => this.emit('end'));
      return;
    }
    const poller = new module.Epoll((err) => (err ? this.fail(err) : this.drain()));
    poller.add(fd, module.Epoll.EPOLLIN);
    this.polled = { fd, poller };
  }

  close(): void {
    this.stream?.destroy();
    this.stream = null;
    if (this.polled) {
      this.polled.poller.remove(this.polled.fd).close();
      closeSync(this.polled.fd);
      this.polled = null;
    }
  }

  private feed(chunk: Buffer): void {
    const { events, rest } = parseInputEvents(Buffer.concat([this.pending, chunk]), this.recordSize);
    this.pending = rest;
    for (const ev of events) this.emit('event', ev);
  }

  /** Reads until the device has nothing more now (EAGAIN); 0 bytes is the end (a FIFO's writer closed). */
  private drain(): void {
    const chunk = Buffer.allocUnsafe(this.recordSize * 64);
    while (this.polled) {
      let n: number;
      try {
        n = readSync(this.polled.fd, chunk, 0, chunk.length, null);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'EAGAIN') return;
        return this.fail(err as Error); // ENODEV: the panel was unplugged
      }
      if (n === 0) {
        this.close();
        this.emit('end');
        return;
      }
      this.feed(chunk.subarray(0, n));
    }
  }

  private fail(err: Error): void {
    this.close();
    this.emit('error', err);
  }
}
