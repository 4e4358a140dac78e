import { text } from 'node:stream/consumers';
import { QuancunError } from '../../common/errors.ts';
import type { Command } from '../command.ts';

export const technicianPin: Command = {
  name: 'technician-pin',
  summary: 'hash a technician PIN for the config\'s technician.pinHash (reads the PIN from standard input)',
  details: [
    'The maintenance screen behind the kiosk id in the footer asks for this PIN. Only its salted scrypt hash goes',
    'into the config. The PIN is read from standard input so it stays out of the shell history:',
    '  read -rs PIN && printf %s "$PIN" | quancun technician-pin',
  ].join('\n'),
  options: {},
  async run() {
    const pin = (await text(process.stdin)).trim();
    if (!/^\d{6}$/.test(pin)) throw new QuancunError('CONFIG_INVALID', 'a technician PIN is six digits');
    const { hashTechnicianPin } = await import('../../runtime/ui/technician.ts');
    console.log(JSON.stringify({ technician: { pinHash: hashTechnicianPin(pin) } }));
    return 0;
  },
};
