/** The receipt-printer contract on the in-process simulator (ESC/POS driver + emulator over the in-memory cable). */
import { createSimPrinter } from '../../sim/printer/sim-printer.ts';
import { printerContract } from './printer.contract.ts';

printerContract('sim', async () => {
  const sim = createSimPrinter({ pollMs: 20, answerTimeoutMs: 150, backoffMs: 10 });
  return {
    printer: sim.printer,
    device: sim.device,
    unplug: async () => sim.cable.unplug(),
    replug: async () => sim.cable.replug(),
    close: () => sim.printer.stop(),
  };
});
