/**
 * A 24C02-class EEPROM: 256 bytes, one address byte, 8-byte write pages. A write that crosses a page boundary wraps
 * inside the page on the chip, so writes are split at page boundaries here; after each page the chip is busy for its
 * write cycle (up to 5 ms) and does not acknowledge, so we poll for the acknowledge before the next access.
 * On the wire an SMBus I2C block read is the chip's random read (address byte, repeated start, sequential read) and
 * an I2C block write is its page write (address byte, data), so these SMBus calls are the datasheet's transactions.
 */
import { QuancunError } from '../../common/errors.ts';
import type { I2cBus } from './i2c-bus.ts';

export const EEPROM_SIZE = 256;
export const EEPROM_PAGE = 8;
/** The most an SMBus I2C block transfer carries. */
const SMBUS_BLOCK_MAX = 32;

/** Polls refused before a write cycle that outlasts its time counts as the chip gone. */
const MIN_REFUSED_POLLS = 8;

export class Eeprom24c02 {
  constructor(readonly bus: I2cBus, readonly address = 0x50, readonly writeCycleMs = 10) {}

  async read(offset: number, length: number): Promise<Buffer> {
    check(offset, length);
    const out = Buffer.alloc(length);
    for (let pos = 0; pos < length; pos += SMBUS_BLOCK_MAX) {
      const n = Math.min(SMBUS_BLOCK_MAX, length - pos);
      const piece = out.subarray(pos, pos + n);
      const { bytesRead } = await this.#call(() => this.bus.readI2cBlock(this.address, offset + pos, n, piece));
      if (bytesRead !== n) throw new QuancunError('DEVICE_UNAVAILABLE', `EEPROM read ${bytesRead} of ${n} bytes at ${offset + pos}`);
    }
    return out;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    check(offset, data.length);
    for (let pos = 0; pos < data.length; ) {
      const at = offset + pos;
      const n = Math.min(EEPROM_PAGE - (at % EEPROM_PAGE), data.length - pos);
      await this.#call(() => this.bus.writeI2cBlock(this.address, at, n, data.subarray(pos, pos + n)));
      await this.#awaitWriteCycle();
      pos += n;
    }
  }

  /**
   * Acknowledge polling: the chip refuses its address until the cycle ends. The poll is an SMBus receive byte (a
   * current-address read, harmless: every access sets its own address), not a quick write, which is known to corrupt
   * the AT24RF08 (why i2cdetect reads instead at 0x50-0x5F); i2c-stub accepts both. The chip is given
   * up only after the write cycle's time has passed AND a few polls were refused: a stalled event loop (a GC pause,
   * a busy board) must not turn one slow poll into a dead EEPROM.
   */
  async #awaitWriteCycle(): Promise<void> {
    const deadline = Date.now() + this.writeCycleMs;
    for (let refused = 0; ; refused++) {
      try {
        await this.bus.receiveByte(this.address);
        return;
      } catch (err) {
        if (refused >= MIN_REFUSED_POLLS && Date.now() > deadline) throw unavailable(err);
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
  }

  async #call<T>(op: () => Promise<T>): Promise<T> {
    try {
      return await op();
    } catch (err) {
      throw unavailable(err);
    }
  }
}

function check(offset: number, length: number): void {
  if (!Number.isInteger(offset) || offset < 0 || length < 0 || offset + length > EEPROM_SIZE) {
    throw new RangeError(`EEPROM range ${offset}+${length} is outside 0..${EEPROM_SIZE}`);
  }
}

function unavailable(err: unknown): QuancunError {
  return err instanceof QuancunError ? err : new QuancunError('DEVICE_UNAVAILABLE', `EEPROM: ${(err as Error).message}`, {}, { cause: err });
}
