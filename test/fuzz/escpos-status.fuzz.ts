/**
 * The receipt printer's answers to DLE EOT 1, 2 and 4, in chunks as the serial link delivers them: bytes that are not
 * status bytes are skipped (as the driver skips them), each three status bytes read as one status, and the status
 * turned into the error the driver reports. Seeds: the answers of a ready printer, one out of paper, one with its
 * cover open, one switched offline, as the printer emulator gives them.
 */
import { isStatusByte, parseStatus } from '../../hal/printer/escpos.ts';
import { printerStatusError } from '../../hal/printer/printer.ts';
import { bound, chunked, messageBytes, type FuzzTarget } from './target.ts';

const seeds = [[0x12, 0x12, 0x12], [0x1a, 0x32, 0x7e], [0x1a, 0x16, 0x12], [0x1a, 0x12, 0x12]].map((b) => Buffer.from(b));

export const escposStatusTarget: FuzzTarget = {
  name: 'escpos-status',
  about: 'ESC/POS DLE EOT status answers through the status parser and the printer error mapping',
  inputs: chunked(messageBytes(seeds)),
  run(chunks) {
    const answers = chunks.flatMap((c) => [...c].filter(isStatusByte));
    for (let i = 0; i + 3 <= answers.length; i += 3) {
      const status = parseStatus(answers[i]!, answers[i + 1]!, answers[i + 2]!);
      const err = printerStatusError(status, 'printer');
      bound(err.code === 'PRINTER_PAPER_OUT' || err.code === 'PRINTER_OFFLINE', 'a printer error other than paper out or offline');
    }
  },
};
