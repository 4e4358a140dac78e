/**
 * The real GPIO backend's most-real test on a machine without sysfs GPIO: line numbers resolved against a fixture
 * /sys/class/gpio tree (a newer Pi kernel with the SoC chip at base 512, an older one at 0), and onoff's
 * Gpio.accessible being false reported as DEVICE_UNAVAILABLE, not a crash.
 */
import test from 'ava';
import { once } from 'node:events';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Gpio } from 'onoff';
import { QuancunError } from '../../common/errors.ts';
import { GpioKioskIo } from '../../hal/gpio/kiosk-io.ts';
import { resolveGpioLine } from '../../hal/gpio/line-numbers.ts';
import { createOnoffBackend } from '../../hal/gpio/onoff-backend.ts';
import { SIM_LINES } from '../../sim/gpio/sim-gpio.ts';
import { tempDir } from '../support/temp-dir.ts';

async function chip(root: string, name: string, label: string, base: number, ngpio: number) {
  await mkdir(join(root, name), { recursive: true });
  await writeFile(join(root, name, 'label'), `${label}\n`);
  await writeFile(join(root, name, 'base'), `${base}\n`);
  await writeFile(join(root, name, 'ngpio'), `${ngpio}\n`);
}

test('line numbers: chip base plus offset, found by label', async (t) => {
  const newer = await tempDir(t);
  await chip(newer, 'gpiochip512', 'pinctrl-bcm2711', 512, 58);
  await chip(newer, 'gpiochip570', 'raspberrypi-exp-gpio', 570, 8);
  await writeFile(join(newer, 'export'), '');
  t.is(await resolveGpioLine(17, { chipLabel: 'pinctrl-bcm2711', sysfsRoot: newer }), 529);
  t.is(await resolveGpioLine(2, { chipLabel: 'raspberrypi-exp-gpio', sysfsRoot: newer }), 572);

  const older = await tempDir(t);
  await chip(older, 'gpiochip0', 'pinctrl-bcm2835', 0, 54);
  t.is(await resolveGpioLine(17, { chipLabel: 'pinctrl-bcm2835', sysfsRoot: older }), 17);

  t.is((await t.throwsAsync(resolveGpioLine(17, { chipLabel: 'pinctrl-rp1', sysfsRoot: older }), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
  t.is((await t.throwsAsync(resolveGpioLine(60, { chipLabel: 'pinctrl-bcm2835', sysfsRoot: older }), { instanceOf: QuancunError }))?.code, 'CONFIG_INVALID');
  t.is((await t.throwsAsync(resolveGpioLine(1, { chipLabel: 'x', sysfsRoot: join(older, 'absent') }), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
});

test('onoff without sysfs GPIO: DEVICE_UNAVAILABLE from start() and a fault event, the process goes on', async (t) => {
  t.false(Gpio.accessible, 'this machine has no /sys/class/gpio; on a board this test belongs to the hardware run');
  const io = new GpioKioskIo(createOnoffBackend, { lines: SIM_LINES, doorOpenLevel: 1 });
  const fault = once(io, 'fault');
  const err = await t.throwsAsync(io.start(), { instanceOf: QuancunError });
  t.is(err?.code, 'DEVICE_UNAVAILABLE');
  t.is(((await fault)[0] as QuancunError).code, 'DEVICE_UNAVAILABLE');
  t.is((await t.throwsAsync(io.setLed('ready', true), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
  await io.stop();
});
