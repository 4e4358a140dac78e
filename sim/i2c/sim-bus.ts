/**
 * A simulated I2C bus with chips modelled at register level: a 24C02 EEPROM (address pointer, page wrap, a busy write
 * cycle that refuses access like the real chip) and an LM75 (pointer register, 9-bit temperature). The bus offers the
 * SMBus calls the drivers use and runs each as the I2C messages an adapter sends the chip (as Linux emulates SMBus on
 * an I2C adapter such as the Pi's), so the chips see what real ones see. Errors look like i2c-bus's from a Pi's
 * bcm2835 adapter: an absent or busy chip does not acknowledge, "EREMOTEIO, Remote I/O error" (i2c-stub, which has
 * no bus, answers an address without a chip with ENODEV instead).
 */
import type { I2cBus } from '../../hal/i2c/i2c-bus.ts';

/** One chip seen from the wire: each call is one message after the address byte was acknowledged. */
export interface SimI2cChip {
  /** A write message (at least the first byte, the register or address); throws for a NACK. */
  write(data: Buffer): void;
  read(length: number): Buffer;
}

const nack = () => Object.assign(new Error('EREMOTEIO, Remote I/O error'), { code: 'EREMOTEIO', errno: 121 });

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

  /** One SMBus transfer as its messages to the chip at `address`; nobody there acknowledges it. */
  #transfer<T>(address: number, messages: (chip: SimI2cChip) => T): T {
    const chip = this.chips.get(address);
    if (!chip) throw nack();
    return messages(chip);
  }

  async readI2cBlock(address: number, command: number, length: number, buffer: Buffer) {
    blockLength(length);
    return this.#transfer(address, (chip) => {
      chip.write(Buffer.from([command]));
      chip.read(length).copy(buffer);
      return { bytesRead: length, buffer };
    });
  }

  async writeI2cBlock(address: number, command: number, length: number, buffer: Buffer) {
    blockLength(length);
    return this.#transfer(address, (chip) => {
      chip.write(Buffer.concat([Buffer.from([command]), buffer.subarray(0, length)]));
      return { bytesWritten: length, buffer };
    });
  }

  async receiveByte(address: number): Promise<number> {
    return this.#transfer(address, (chip) => chip.read(1)[0]!);
  }

  async readWord(address: number, command: number): Promise<number> {
    return this.#transfer(address, (chip) => {
      chip.write(Buffer.from([command]));
      return chip.read(2).readUInt16LE(0); // SMBus: the first byte on the wire is the low byte
    });
  }

  async close(): Promise<void> {}
}

/** i2c-bus refuses a block over 32 bytes before any transfer, as SMBus does. */
function blockLength(length: number): void {
  if (!Number.isInteger(length) || length < 0 || length > 32) throw new RangeError(`SMBus I2C block of ${length} bytes (at most 32)`);
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
    this.setTemperatureRegister(Buffer.from([(raw >> 1) & 0xff, (raw & 1) << 7]));
  }

  /** Register 0 as the chip sends it, MSB first. */
  setTemperatureRegister(msbLsb: Buffer): void {
    this.#registers[0] = Buffer.from(msbLsb);
  }

  write(data: Buffer): void {
    this.#pointer = data[0]! & 3;
  }

  read(length: number): Buffer {
    const reg = this.#registers[this.#pointer]!;
    return Buffer.from([...Array(length)].map((_, i) => reg[i % reg.length]!));
  }
}
