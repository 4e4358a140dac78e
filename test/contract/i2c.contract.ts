/**
 * The I2C device contract: the EEPROM (board identity) and LM75 drivers over an I2cBus (SMBus transfers). Expected
 * bytes come from the 24C02 and LM75 datasheets and the CRC-16/CCITT-FALSE catalogue check value.
 */
import test, { type ExecutionContext } from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { crc16, readBoardIdentity, writeBoardIdentity, type BoardIdentity } from '../../hal/i2c/board-identity.ts';
import { Eeprom24c02 } from '../../hal/i2c/eeprom-24c02.ts';
import type { I2cBus } from '../../hal/i2c/i2c-bus.ts';
import { Lm75 } from '../../hal/i2c/lm75.ts';

export interface I2cRig {
  bus: I2cBus;
  /** Raw EEPROM bytes as the chip holds them, and a way to damage one. */
  eepromBytes(): Buffer;
  corrupt(offset: number): void;
  /** The LM75's temperature register as the chip sends it, MSB first. */
  setTemperatureRegister(msbLsb: Buffer): void;
  unplug(address: number): void;
}

const IDENTITY: BoardIdentity = { kioskId: 'QY-K0017', serial: 'QC2026110001', hardwareRevision: 'B2', provisionedAt: new Date('2026-11-01T00:00:00Z') };

export function i2cContract(backend: string, makeRig: () => Promise<I2cRig>): void {
  const rigTest = (title: string, body: (t: ExecutionContext, rig: I2cRig) => Promise<void>) =>
    test.serial(`${backend}: ${title}`, async (t) => {
      const rig = await makeRig();
      t.teardown(() => rig.bus.close());
      await body(t, rig);
    });

  test(`${backend}: CRC-16/CCITT-FALSE check value`, (t) => {
    t.is(crc16(Buffer.from('123456789')), 0x29b1);
  });

  rigTest('board identity: written in 8-byte pages at provisioning, read back intact', async (t, rig) => {
    const eeprom = new Eeprom24c02(rig.bus, 0x50);
    await writeBoardIdentity(eeprom, IDENTITY);
    const raw = rig.eepromBytes();
    t.is(raw.subarray(0, 12).toString('hex'), '5143' + '0100' + Buffer.from('QY-K0017').toString('hex'));
    t.is(raw.readUInt32BE(44), 1793491200, 'date -u -d 2026-11-01T00:00:00Z +%s');
    t.is(raw[50], 0xff, 'nothing written past the record');
    t.deepEqual(await readBoardIdentity(eeprom), IDENTITY);
  });

  rigTest('a write across a page boundary lands where it was meant to (split, not wrapped)', async (t, rig) => {
    const eeprom = new Eeprom24c02(rig.bus, 0x50);
    await eeprom.write(6, Buffer.from([1, 2, 3, 4]));
    t.is(rig.eepromBytes().subarray(0, 10).toString('hex'), 'ffffffffffff01020304');
    t.is((await eeprom.read(6, 4)).toString('hex'), '01020304');
  });

  rigTest('a read longer than one SMBus block (the whole chip) comes back in order', async (t, rig) => {
    const eeprom = new Eeprom24c02(rig.bus, 0x50);
    const pattern = Buffer.from([...Array(256)].map((_, i) => (i * 7 + 3) & 0xff));
    await eeprom.write(0, pattern);
    t.deepEqual(rig.eepromBytes(), pattern);
    t.deepEqual(await eeprom.read(0, 256), pattern);
    t.deepEqual(await eeprom.read(250, 6), pattern.subarray(250));
  });

  rigTest('a damaged or blank identity is EEPROM_CHECKSUM', async (t, rig) => {
    const eeprom = new Eeprom24c02(rig.bus, 0x50);
    t.is((await t.throwsAsync(readBoardIdentity(eeprom), { instanceOf: QuancunError }))?.code, 'EEPROM_CHECKSUM');
    await writeBoardIdentity(eeprom, IDENTITY);
    rig.corrupt(21);
    t.is((await t.throwsAsync(readBoardIdentity(eeprom), { instanceOf: QuancunError }))?.code, 'EEPROM_CHECKSUM');
  });

  rigTest('LM75 temperatures in 0.5 degree steps, below zero too (register bytes from the datasheet table)', async (t, rig) => {
    const sensor = new Lm75(rig.bus, 0x48);
    const cases: [string, number][] = [['1980', 25.5], ['1900', 25], ['0080', 0.5], ['0000', 0], ['ff80', -0.5], ['e700', -25], ['7d00', 125], ['c900', -55]];
    for (const [hex, c] of cases) {
      rig.setTemperatureRegister(Buffer.from(hex, 'hex'));
      t.is(await sensor.readCelsius(), c, hex);
    }
  });

  rigTest('a chip that stops answering is DEVICE_UNAVAILABLE', async (t, rig) => {
    rig.unplug(0x48);
    t.is((await t.throwsAsync(new Lm75(rig.bus, 0x48).readCelsius(), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
    rig.unplug(0x50);
    t.is((await t.throwsAsync(new Eeprom24c02(rig.bus, 0x50).read(0, 8), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
  });
}
