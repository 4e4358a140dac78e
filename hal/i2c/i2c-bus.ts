/**
 * The bus-level I2C interface the chip drivers use: the subset of i2c-bus's PromisifiedBus they need, so the same
 * EEPROM and LM75 code runs over the real bus (open-bus.ts) and the simulated one (sim/i2c/sim-bus.ts). Only SMBus
 * transfers: a Pi's adapter runs them as the I2C messages the chips expect, and i2c-stub (the virtual board) knows
 * nothing else — the same choice Linux's own at24 and lm75 drivers make.
 */
export interface I2cBus {
  /** SMBus "I2C block read": write `command`, repeated start, read `length` (≤ 32) bytes. */
  readI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesRead: number; buffer: Buffer }>;
  /** SMBus "I2C block write": `command` then `length` (≤ 32) bytes in one write. */
  writeI2cBlock(address: number, command: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number; buffer: Buffer }>;
  /** SMBus "receive byte": one byte read with no command first. */
  receiveByte(address: number): Promise<number>;
  /** SMBus "read word data": write `command`, read two bytes, the first one the low byte of the result. */
  readWord(address: number, command: number): Promise<number>;
  close(): Promise<void>;
}
