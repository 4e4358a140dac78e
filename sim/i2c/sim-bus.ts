/**
 * A simulated I2C bus with chips modelled at register level: a 24C02 EEPROM (address pointer, page wrap, a busy write
 * cycle that refuses access like the real chip) and an LM75 (pointer register, 9-bit temperature). Errors look like
 * the kernel's: an absent or busy chip is a NACK, "Remote I/O error".
 */
import type { I2cBus } from '../../hal/i2c/i2c-bus.ts';

export interface SimI2cChip {
  /** A write transaction; throws for a NACK. */
  write(data: Buffer): void;
  read(length: number): Buffer;
}

const nack = () => Object.assign(new Error('Remote I/O error'), { code: 'EREMOTEIO', errno: 121 });

export class SimI2cBus implements I2cBus {
  readonly chips = new Map<number, SimI2cChip>();

  attach(address: number, chip: SimI2cChip): this {
    this.chips.set(address, chip);
    return this;
  }

  /** A chip that stopped answering (loose connector). */
  detach(address: number): void {
    this.chips.delete(address);
  }

  async i2cWrite(address: number, length: number, buffer: Buffer) {
    const chip = this.chips.get(address);
    if (!chip) throw nack();
    chip.write(buffer.subarray(0, length));
    return { bytesWritten: length, buffer };
  }

  async i2cRead(address: number, length: number, buffer: Buffer) {
    const chip = this.chips.get(address);
    if (!chip) throw nack();
    chip.read(length).copy(buffer);
    return { bytesRead: length, buffer };
  }

  async close(): Promise<void> {}
}

export class SimEeprom24c02 implements SimI2cChip {
  readonly memory = Buffer.alloc(256, 0xff);
  #pointer = 0;
  #busy = 0;
  /** How many accesses after a page write are refused (the write cycle), and how many happened. */
  constructor(readonly writeCycleAccesses = 2) {}
  pageWrites = 0;

  write(data: Buffer): void {
    if (this.#busy > 0) {
      this.#busy--;
      throw nack();
    }
    if (data.length === 0) return;
    this.#pointer = data[0]!;
    const payload = data.subarray(1);
    if (payload.length === 0) return;
    const page = this.#pointer & ~7;
    payload.forEach((b, i) => (this.memory[page | ((this.#pointer + i) & 7)] = b)); // wraps within the page, as the chip does
    this.#pointer = page | ((this.#pointer + payload.length) & 7);
    this.pageWrites++;
    this.#busy = this.writeCycleAccesses;
  }

  read(length: number): Buffer {
    if (this.#busy > 0) {
      this.#busy--;
      throw nack();
    }
    const out = Buffer.alloc(length);
    for (let i = 0; i < length; i++) out[i] = this.memory[(this.#pointer + i) & 0xff]!;
    this.#pointer = (this.#pointer + length) & 0xff;
    return out;
  }
}

export class SimLm75 implements SimI2cChip {
  #registers = [Buffer.from([0x19, 0x00]), Buffer.from([0x00]), Buffer.from([0x4b, 0x00]), Buffer.from([0x50, 0x00])];
  #pointer = 0;

  /** Rounded down to the chip's 0.5 °C step. */
  setCelsius(celsius: number): void {
    const raw = Math.floor(celsius * 2) & 0x1ff;
    this.#registers[0] = Buffer.from([(raw >> 1) & 0xff, (raw & 1) << 7]);
  }

  write(data: Buffer): void {
    if (data.length) this.#pointer = data[0]! & 3;
  }

  read(length: number): Buffer {
    const reg = this.#registers[this.#pointer]!;
    return Buffer.from([...Array(length)].map((_, i) => reg[i % reg.length]!));
  }
}
