/** The CardReader contract on PcscCardReader: VirtualCards in vpcd slots of the private pcscd of scripts/test.sh. */
import { once } from 'node:events';
import { cardReaderContract, type CardReaderRig } from './card-reader.contract.ts';
import { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { VpcdConnector } from '../../sim/card/vpcd-connector.ts';
import { claimVpcdSlot, emptySlot, requirePrivatePcscd } from '../support/pcsc.ts';

async function pcscRig(): Promise<CardReaderRig> {
  requirePrivatePcscd();
  const slot = await claimVpcdSlot();
  const reader = new PcscCardReader({ readerName: slot.readerName });
  const connector = new VpcdConnector({ port: slot.port });
  await reader.start();
  return {
    reader,
    // vpcd connects at once; pcscd notices at its next presence poll, which the reader reports.
    insert: async (card) => {
      const present = once(reader, 'present');
      await connector.insert(card);
      await present;
    },
    remove: async () => {
      const absent = once(reader, 'absent');
      await connector.remove();
      await absent;
    },
    close: async () => {
      await emptySlot(reader, connector);
      await reader.stop();
      await slot.release();
    },
  };
}

cardReaderContract('PcscCardReader on vpcd', pcscRig);
