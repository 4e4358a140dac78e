/** The real I2C backend: /dev/i2c-N through i2c-bus (the only module that imports it). */
import { openPromisified } from 'i2c-bus';
import { QuancunError } from '../../common/errors.ts';
import type { I2cBus } from './i2c-bus.ts';

export async function openI2cBus(busNumber: number): Promise<I2cBus> {
  try {
    return await openPromisified(busNumber);
  } catch (err) {
    throw new QuancunError('DEVICE_UNAVAILABLE', `cannot open /dev/i2c-${busNumber}: ${(err as Error).message}`, { busNumber }, { cause: err });
  }
}
