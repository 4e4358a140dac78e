/** The PIN pad contract on the in-process simulator (driver + emulator over the in-memory cable). */
import { createTrafficInspector } from '../../hal/serial/traffic-inspector.ts';
import type { SerialPinPad } from '../../hal/pin-pad/serial-pin-pad.ts';
import { createSimPinPad } from '../../sim/pin-pad/sim-pin-pad.ts';
import { PAD_SERIAL, pinPadContract, TEST_KEY, TRANSPORT_KEY } from './pin-pad.contract.ts';

pinPadContract('sim', async () => {
  const trace: string[] = [];
  const stored: string[] = [];
  const sim = createSimPinPad({
    key: TEST_KEY, serial: PAD_SERIAL, transportKey: TRANSPORT_KEY, store: async (key) => void stored.push(key.toString('hex').toUpperCase()),
    inspector: createTrafficInspector({ sink: (l) => trace.push(l) }), pingMs: 50, backoffMs: 10,
  });
  return {
    pinPad: sim.pinPad as SerialPinPad,
    keypad: sim.keypad,
    trace,
    stored,
    unplug: async () => sim.cable.unplug(),
    replug: async () => sim.cable.replug(),
    close: () => sim.pinPad.stop(),
  };
});
