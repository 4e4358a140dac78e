/**
 * The bus-level I2C interface the chip drivers use: the subset of i2c-bus's PromisifiedBus they need, so the same
 * EEPROM and LM75 code runs over the real bus (open-bus.ts) and the simulated one (sim/i2c/sim-bus.ts).
 */
export interface I2cBus {
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  close(): Promise<void>;
}
