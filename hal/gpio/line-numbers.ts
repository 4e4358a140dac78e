/**
 * sysfs GPIO numbers: a line is the chip's base plus its offset. Older Raspberry Pi kernels put the SoC chip at base 0;
 * newer ones allocate bases dynamically (512 and up), so the number is read from /sys/class/gpio/gpiochipN/{base,label,ngpio}
 * rather than assumed. The root is configurable so tests use a fixture tree.
 */
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuancunError } from '../../common/errors.ts';

export interface GpioChip {
  name: string;
  label: string;
  base: number;
  ngpio: number;
}

export async function listGpioChips(sysfsRoot = '/sys/class/gpio'): Promise<GpioChip[]> {
  let names: string[];
  try {
    names = (await readdir(sysfsRoot)).filter((n) => /^gpiochip\d+$/.test(n));
  } catch (err) {
    throw new QuancunError('DEVICE_UNAVAILABLE', `no sysfs GPIO at ${sysfsRoot}`, { sysfsRoot }, { cause: err });
  }
  const read = async (name: string, file: string) => (await readFile(join(sysfsRoot, name, file), 'utf8')).trim();
  return Promise.all(
    names.map(async (name) => ({ name, label: await read(name, 'label'), base: Number(await read(name, 'base')), ngpio: Number(await read(name, 'ngpio')) })),
  );
}

/** The sysfs number of `offset` on the chip whose label is `chipLabel` (e.g. pinctrl-bcm2835, pinctrl-bcm2711, pinctrl-rp1). */
export async function resolveGpioLine(offset: number, options: { chipLabel: string; sysfsRoot?: string }): Promise<number> {
  const chips = await listGpioChips(options.sysfsRoot);
  const chip = chips.find((c) => c.label === options.chipLabel);
  if (!chip) {
    throw new QuancunError('DEVICE_UNAVAILABLE', `no GPIO chip labelled ${options.chipLabel}`, { found: chips.map((c) => c.label) });
  }
  if (!Number.isInteger(offset) || offset < 0 || offset >= chip.ngpio) {
    throw new QuancunError('CONFIG_INVALID', `line ${offset} is outside ${chip.label} (0..${chip.ngpio - 1})`);
  }
  return chip.base + offset;
}
