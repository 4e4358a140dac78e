/** The kiosk I/O contract on simulated lines (the same GpioKioskIo a board runs, over in-memory lines). */
import test from 'ava';
import { once } from 'node:events';
import { createSimKioskIo } from '../../sim/gpio/sim-gpio.ts';
import { gpioContract } from './gpio.contract.ts';

gpioContract('sim', async () => createSimKioskIo({ debounceMs: 15 }));

test('a door already open at start is reported at start', async (t) => {
  const { io } = createSimKioskIo({ doorOpen: true });
  t.teardown(() => io.stop());
  const opened = once(io, 'door');
  await io.start();
  t.deepEqual(await opened, [true]);
  t.true(io.doorOpen);
});
