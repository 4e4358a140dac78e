/** The PIN pad contract over a real pseudo-terminal pair (socat): the driver on one end, the emulator on the other. */
import { join } from 'node:path';
import { SerialPort } from 'serialport';
import { SerialPinPad } from '../../hal/pin-pad/serial-pin-pad.ts';
import { SerialLink } from '../../hal/serial/serial-link.ts';
import { serialPortOpener } from '../../hal/serial/serialport-opener.ts';
import { createTrafficInspector } from '../../hal/serial/traffic-inspector.ts';
import { PinPadEmulator } from '../../sim/pin-pad/pin-pad-emulator.ts';
import { openPtyPair, type PtyPair } from '../support/pty.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { PAD_SERIAL, pinPadContract, TEST_KEY, TRANSPORT_KEY } from './pin-pad.contract.ts';

pinPadContract('socat pty', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'quancun-pty-'));
  const links = { host: join(dir, 'host'), device: join(dir, 'device') };
  const trace: string[] = [];
  const stored: string[] = [];
  const emulator = new PinPadEmulator({
    key: TEST_KEY, serial: PAD_SERIAL, transportKey: TRANSPORT_KEY, store: async (key) => void stored.push(key.toString('hex').toUpperCase()),
  });
  let pair: PtyPair;
  let devicePort: SerialPort | undefined;
  const plug = async () => {
    pair = await openPtyPair(links);
    devicePort = new SerialPort({ path: pair.device, baudRate: 9600 });
    await new Promise<void>((resolve, reject) => devicePort!.once('open', resolve).once('error', reject));
    emulator.attach(devicePort);
  };
  await plug();
  const closeDevice = async () => {
    if (devicePort?.isOpen) await new Promise((r) => devicePort!.close(r));
  };
  const link = new SerialLink({
    name: 'pin-pad',
    open: serialPortOpener(links.host, 9600),
    inspector: createTrafficInspector({ sink: (l) => trace.push(l) }),
    traceRx: false,
    backoff: { initialMs: 20, maxMs: 200 },
  });
  const pinPad = new SerialPinPad(link, { pingMs: 50 });
  return {
    pinPad,
    keypad: emulator,
    trace,
    stored,
    // the device end is closed before socat goes: a read left pending on a dead pty would keep the process alive
    unplug: async () => {
      await closeDevice();
      await pair.stop();
    },
    replug: plug,
    close: async () => {
      await pinPad.stop();
      await closeDevice();
      await pair.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});
