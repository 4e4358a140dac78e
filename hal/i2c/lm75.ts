/** An LM75-class temperature sensor: register 0 holds the temperature as 9-bit two's complement, 0.5 °C per bit. */
import { QuancunError } from '../../common/errors.ts';
import type { I2cBus } from './i2c-bus.ts';

export class Lm75 {
  constructor(readonly bus: I2cBus, readonly address = 0x48) {}

  async readCelsius(): Promise<number> {
    try {
      const word = await this.bus.readWord(this.address, 0x00);
      // An SMBus word's first byte on the wire is its low byte; the LM75 sends its MSB first.
      const wire = Buffer.alloc(2);
      wire.writeUInt16LE(word);
      return lm75Celsius(wire);
    } catch (err) {
      throw new QuancunError('DEVICE_UNAVAILABLE', `temperature sensor: ${(err as Error).message}`, {}, { cause: err });
    }
  }
}

/** MSB:LSB, the top 9 bits signed. */
function lm75Celsius(bytes: Buffer): number {
  return (bytes.readInt16BE(0) >> 7) / 2;
}
