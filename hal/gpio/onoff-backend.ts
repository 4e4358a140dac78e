/** The real GPIO backend: onoff on sysfs (the only module that imports onoff). */
import { Gpio } from 'onoff';
import { QuancunError } from '../../common/errors.ts';
import type { Bit, GpioBackend } from './gpio.ts';

/** Throws DEVICE_UNAVAILABLE where sysfs GPIO is absent (non-Pi machines, kernels without it) instead of failing later. */
export function createOnoffBackend(): GpioBackend {
  if (!Gpio.accessible) throw new QuancunError('DEVICE_UNAVAILABLE', 'sysfs GPIO (/sys/class/gpio) is not accessible here');
  const open = (line: number, direction: 'in' | 'out', activeLow: boolean) => {
    try {
      return new Gpio(line, direction, direction === 'in' ? 'both' : 'none', { activeLow });
    } catch (err) {
      throw new QuancunError('DEVICE_UNAVAILABLE', `GPIO ${line}: ${(err as Error).message}`, { line }, { cause: err });
    }
  };
  return {
    input(line, { activeLow }) {
      const gpio = open(line, 'in', activeLow);
      return {
        read: () => gpio.read() as Promise<Bit>,
        watch: (onEdge) => gpio.watch((err, value) => {
          if (!err) onEdge(value as Bit);
        }),
        close: () => gpio.unexport(),
      };
    },
    output(line, { activeLow }) {
      const gpio = open(line, 'out', activeLow);
      return { write: (value) => gpio.write(value), close: () => gpio.unexport() };
    },
  };
}
