/** The receipt-printer contract over a real pseudo-terminal pair (socat): driver on one end, emulator on the other. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { EscPosPrinter } from '../../hal/printer/escpos-printer.ts';
import { SerialLink } from '../../hal/serial/serial-link.ts';
import { serialPortOpener } from '../../hal/serial/serialport-opener.ts';
import { PrinterEmulator } from '../../sim/printer/escpos-emulator.ts';
import { openPtyPair, type PtyPair } from '../support/pty.ts';
import { printerContract } from './printer.contract.ts';

printerContract('socat pty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quancun-pty-'));
  const links = { host: join(dir, 'host'), device: join(dir, 'device') };
  const device = new PrinterEmulator();
  let pair: PtyPair;
  let devicePort: SerialPort | undefined;
  const plug = async () => {
    pair = await openPtyPair(links);
    devicePort = new SerialPort({ path: pair.device, baudRate: 115200 });
    await new Promise<void>((resolve, reject) => devicePort!.once('open', resolve).once('error', reject));
    device.attach(devicePort);
  };
  await plug();
  const closeDevice = async () => {
    if (devicePort?.isOpen) await new Promise((r) => devicePort!.close(r));
  };
  const link = new SerialLink({ name: 'printer', open: serialPortOpener(links.host, 115200), backoff: { initialMs: 20, maxMs: 200 } });
  const printer = new EscPosPrinter(link, { columns: 32, pollMs: 20, answerTimeoutMs: 300 });
  return {
    printer,
    device,
    // the device end is closed before socat goes: a read left pending on a dead pty would keep the process alive
    unplug: async () => {
      await closeDevice();
      await pair.stop();
    },
    replug: plug,
    close: async () => {
      await printer.stop();
      await closeDevice();
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
