/** The real serial backend: a serialport on a device path (the only module that imports serialport's native binding). */
import type { Duplex } from 'node:stream';
import { SerialPort } from 'serialport';
import type { SerialOpener } from './serial-link.ts';

export function serialPortOpener(path: string, baudRate: number): SerialOpener {
  return () =>
    new Promise<Duplex>((resolve, reject) => {
      const port = new SerialPort({ path, baudRate, autoOpen: false });
      port.open((err) => (err ? reject(err) : resolve(port)));
    });
}
