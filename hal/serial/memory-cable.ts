/**
 * An in-memory serial cable for the simulators: the host end is a SerialOpener for the real driver, the device end is
 * handed to an emulator on every connect. unplug() cuts both ends (the driver sees its port close) and makes opens
 * fail until replug(), so the reconnect path runs in-process exactly as on a board.
 */
import { Duplex } from 'node:stream';
import type { SerialOpener } from './serial-link.ts';

/** One end of an in-memory cable: what it writes, the peer reads; destroying either end closes both. */
class CableEnd extends Duplex {
  peer: CableEnd | undefined;
  override _read(): void {}
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (err?: Error | null) => void): void {
    const peer = this.peer;
    if (!peer || peer.destroyed) return callback(new Error('EIO: cable cut'));
    // bytes arrive later, as on a wire: a reader never sees an answer before its write call returned
    setImmediate(() => {
      if (!peer.destroyed) peer.push(chunk);
    });
    callback();
  }
  override _destroy(err: Error | null, callback: (err?: Error | null) => void): void {
    if (this.peer && !this.peer.destroyed) this.peer.destroy();
    callback(err);
  }
}

export function duplexPair(): [Duplex, Duplex] {
  const a = new CableEnd();
  const b = new CableEnd();
  a.peer = b;
  b.peer = a;
  return [a, b];
}

export interface MemoryCable {
  readonly open: SerialOpener;
  readonly plugged: boolean;
  unplug(): void;
  replug(): void;
}

export function memoryCable(onDeviceEnd: (end: Duplex) => void): MemoryCable {
  let plugged = true;
  let current: Duplex | undefined;
  return {
    get plugged() {
      return plugged;
    },
    open: async () => {
      if (!plugged) throw new Error('ENOENT: device not present');
      const [host, device] = duplexPair();
      current = host;
      onDeviceEnd(device);
      return host;
    },
    unplug() {
      plugged = false;
      current?.destroy();
      current = undefined;
    },
    replug() {
      plugged = true;
    },
  };
}
