/**
 * The I2C contract on the simulated bus (chips at register level behind the same I2cBus the real backend gives),
 * plus the real backend on this machine: no /dev/i2c-N, so opening is DEVICE_UNAVAILABLE, not a crash.
 */
import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { Eeprom24c02 } from '../../hal/i2c/eeprom-24c02.ts';
import { Lm75 } from '../../hal/i2c/lm75.ts';
import { openI2cBus } from '../../hal/i2c/open-bus.ts';
import { SimEeprom24c02, SimI2cBus, SimLm75 } from '../../sim/i2c/sim-bus.ts';
import { i2cContract } from './i2c.contract.ts';

i2cContract('sim', async () => {
  const eeprom = new SimEeprom24c02();
  const lm75 = new SimLm75();
  const bus = new SimI2cBus().attach(0x50, eeprom).attach(0x48, lm75);
  return {
    bus,
    eepromBytes: () => Buffer.from(eeprom.memory),
    corrupt: (offset) => void (eeprom.memory[offset]! ^= 0x01),
    setTemperatureRegister: (msbLsb) => lm75.setTemperatureRegister(msbLsb),
    unplug: (address) => bus.detach(address),
  };
});

test('an address with no chip is not acknowledged: EREMOTEIO, as i2c-bus reports it from a Pi\'s adapter', async (t) => {
  const bus = new SimI2cBus();
  t.like(await t.throwsAsync(bus.readWord(0x48, 0)), { code: 'EREMOTEIO', errno: 121 });
  const err = await t.throwsAsync(new Lm75(bus).readCelsius(), { instanceOf: QuancunError });
  t.is(err?.code, 'DEVICE_UNAVAILABLE');
  t.regex(err!.message, /Remote I\/O error/);
});

test('the page writes of a 50-byte identity: 7 pages, each waited out by acknowledge polling', async (t) => {
  const chip = new SimEeprom24c02(3);
  const bus = new SimI2cBus().attach(0x50, chip);
  await new Eeprom24c02(bus).write(0, Buffer.alloc(50, 0xaa));
  t.is(chip.pageWrites, 7);
});

test('real backend: i2c-bus on a bus this machine does not have fails per access as DEVICE_UNAVAILABLE', async (t) => {
  // i2c-bus opens /dev/i2c-N lazily, per peripheral address: the first transaction is where a missing bus shows
  const bus = await openI2cBus(7);
  t.teardown(() => bus.close());
  t.is((await t.throwsAsync(new Lm75(bus).readCelsius(), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
  t.is((await t.throwsAsync(new Eeprom24c02(bus).read(0, 8), { instanceOf: QuancunError }))?.code, 'DEVICE_UNAVAILABLE');
});
