/**
 * Run in the guest: the project's own I2C drivers (i2c-bus backend, 24C02 EEPROM with the board identity, LM75)
 * against the i2c-stub chips on the bus given as argument, plus an address with no chip. Prints what each call gave,
 * {ok, value} or {ok: false, code, message}, as JSON.
 *   node --import tsx /opt/quancun/test/board/in-guest/i2c-probe.ts 1
 */
import { readBoardIdentity, writeBoardIdentity } from '../../../hal/i2c/board-identity.ts';
import { Eeprom24c02 } from '../../../hal/i2c/eeprom-24c02.ts';
import { Lm75 } from '../../../hal/i2c/lm75.ts';
import { openI2cBus } from '../../../hal/i2c/open-bus.ts';
import type { QuancunError } from '../../../common/errors.ts';

const bus = await openI2cBus(Number(process.argv[2]));
const outcome = async (call: () => Promise<unknown>) => {
  try {
    return { ok: true, value: await call() };
  } catch (err) {
    return { ok: false, code: (err as QuancunError).code, message: (err as Error).message };
  }
};
const eeprom = new Eeprom24c02(bus, 0x50);
console.log(JSON.stringify({
  identityWrite: await outcome(() => writeBoardIdentity(eeprom, {
    kioskId: 'QY-K0017', serial: 'QC2026110001', hardwareRevision: 'B2', provisionedAt: new Date('2026-11-01T00:00:00Z'),
  })),
  identityRead: await outcome(() => readBoardIdentity(eeprom)),
  lm75: await outcome(() => new Lm75(bus, 0x48).readCelsius()),
  absent: await outcome(() => new Lm75(bus, 0x49).readCelsius()),
}));
await bus.close();
