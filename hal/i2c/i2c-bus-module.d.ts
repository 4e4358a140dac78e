/** i2c-bus ships no types: the part open-bus.ts uses. */
declare module 'i2c-bus' {
  import type { I2cBus } from './i2c-bus.ts';
  export function openPromisified(busNumber: number): Promise<I2cBus>;
}
