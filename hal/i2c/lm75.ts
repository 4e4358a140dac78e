/** An LM75-class temperature sensor: register 0 holds the temperature as 9-bit two's complement, 0.5 °C per bit. */
import { QuancunError } from '../../common/errors.ts';
import type { I2cBus } from './i2c-bus.ts';

export class Lm75 {
  constructor(readonly bus: I2cBus, readonly address = 0x48) {}

  async readCelsius(): Promise<number> {
    try {
      await this.bus.i2cWrite(this.address, 1, Buffer.from([0x00]));
      const { buffer } = await this.bus.i2cRead(this.address, 2, Buffer.alloc(2));
      return lm75Celsius(buffer);
    } catch (err) {
      throw new QuancunError('DEVICE_UNAVAILABLE', `temperature sensor: ${(err as Error).message}`, {}, { cause: err });
    }
  }
}

/** MSB:LSB, the top 9 bits signed. */
export function lm75Celsius(bytes: Buffer): number {
  return (bytes.readInt16BE(0) >> 7) / 2;
}
