/**
 * The I2C contract on the simulated bus (chips at register level behind the same I2cBus the real backend gives),
 * plus the real backend on this machine: no /dev/i2c-N, so opening is DEVICE_UNAVAILABLE, not a crash.
 */
import test from 'ava';
import { QuancunError } from '../../common/errors.ts';
import { Eeprom24c02 } from '../../hal/i2c/eeprom-24c02.ts';
import { Lm75, lm75Celsius } from '../../hal/i2c/lm75.ts';
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
    setCelsius: (c) => lm75.setCelsius(c),
    unplug: (address) => bus.detach(address),
  };
});

test('LM75 register bytes from the datasheet table', (t) => {
  const cases: [string, number][] = [['7d00', 125], ['1900', 25], ['0080', 0.5], ['0000', 0], ['ff80', -0.5], ['e700', -25], ['c900', -55]];
  for (const [hex, c] of cases) t.is(lm75Celsius(Buffer.from(hex, 'hex')), c, hex);
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
