import { text } from 'node:stream/consumers';
import { QuancunError } from '../../common/errors.ts';
import { TECHNICIAN_PIN_DIGITS } from '../../runtime/ui/technician.ts';
import { hashSecret } from '../../common/crypto/secret-hash.ts';
import type { Command } from '../command.ts';

const PIN_RULE = `a technician PIN is ${TECHNICIAN_PIN_DIGITS} digits (the maintenance screen's keypad takes that many)`;

export const technicianPin: Command = {
  name: 'technician-pin',
  summary: "hash a technician PIN for the config's technician.pinHash (asks for it on a terminal, else reads standard input)",
  details: [
    'The maintenance screen behind the kiosk id in the footer asks for this PIN. Only its salted scrypt hash goes',
    `into the config. On a terminal the PIN (${TECHNICIAN_PIN_DIGITS} digits) is asked twice without being shown; from a pipe it is`,
    'read from standard input, so it stays out of the shell history either way:',
    '  read -rs PIN && printf %s "$PIN" | quancun technician-pin',
    'The config line goes to standard output, the questions to standard error.',
  ].join('\n'),
  options: {},
  async run() {
    const pin = process.stdin.isTTY ? await askPin() : (await text(process.stdin)).trim();
    const problem = pinProblem(pin);
    if (problem) throw new QuancunError('CONFIG_INVALID', problem);
    console.log(JSON.stringify({ technician: { pinHash: hashSecret(pin) } }));
    return 0;
  },
};

/** Why a PIN cannot be the technician's, or undefined when it can. */
export function pinProblem(pin: string): string | undefined {
  return new RegExp(`^\\d{${TECHNICIAN_PIN_DIGITS}}$`).test(pin) ? undefined : PIN_RULE;
}

/** Hidden, twice, until both match; on stderr so that stdout holds only the config line. Ctrl+C is PIN_ENTRY_CANCELLED. */
async function askPin(): Promise<string> {
  const { default: password } = await import('@inquirer/password');
  const context = { output: process.stderr };
  try {
    for (;;) {
      const pin = await password({ message: `Technician PIN (${TECHNICIAN_PIN_DIGITS} digits):`, validate: (p) => pinProblem(p) ?? true }, context);
      if (await password({ message: 'The same PIN again:' }, context) === pin) return pin;
      process.stderr.write('The two PINs differ; start again.\n');
    }
  } catch (err) {
    if ((err as Error).name === 'ExitPromptError') throw new QuancunError('PIN_ENTRY_CANCELLED', 'no PIN was entered');
    throw err;
  }
}
