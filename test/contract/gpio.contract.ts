/** The kiosk I/O contract: door events with debounce, LEDs, the card reader relay, the buzzer. */
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import type { KioskIo } from '../../hal/gpio/gpio.ts';
import type { KioskWiring } from '../../sim/gpio/sim-gpio.ts';

export interface GpioRig {
  io: KioskIo;
  wiring: KioskWiring;
}

export function gpioContract(backend: string, makeRig: () => Promise<GpioRig>): void {
  const rigTest = (title: string, body: (t: ExecutionContext, rig: GpioRig) => Promise<void>) =>
    test.serial(`${backend}: ${title}`, async (t) => {
      const rig = await makeRig();
      t.teardown(() => rig.io.stop());
      await rig.io.start();
      await body(t, rig);
    });

  rigTest('door opened: one event after the contacts settle, then closed again', async (t, { io, wiring }) => {
    t.false(io.doorOpen);
    const seen: boolean[] = [];
    io.on('door', (open) => seen.push(open));
    const opened = once(io, 'door');
    wiring.rattleDoor(5); // closed -> open with contact bounce
    t.deepEqual(await opened, [true]);
    t.true(io.doorOpen);
    const closed = once(io, 'door');
    wiring.closeDoor();
    t.deepEqual(await closed, [false]);
    t.deepEqual(seen, [true, false], 'the bounce did not make extra events');
  });

  rigTest('a bounce that ends where it began makes no event', async (t, { io, wiring }) => {
    const seen: boolean[] = [];
    io.on('door', (open) => seen.push(open));
    wiring.rattleDoor(4); // even number of edges: back to closed
    const opened = once(io, 'door');
    wiring.openDoor();
    await opened;
    t.deepEqual(seen, [true]);
  });

  rigTest('LEDs, card reader power and buzzer drive their lines', async (t, { io, wiring }) => {
    await io.setLed('ready', true);
    await io.setLed('fault', false);
    t.true(wiring.led('ready'));
    t.false(wiring.led('fault'));
    await io.setCardReaderPower(true);
    t.true(wiring.cardReaderPowered);
    await io.setCardReaderPower(false);
    t.false(wiring.cardReaderPowered);
    await io.beep([5, 5, 5]);
    t.deepEqual(wiring.buzzerWrites, [1, 0, 1, 0]);
  });
}
