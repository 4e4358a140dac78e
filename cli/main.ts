/** `quancun <command>`: one CLI for the kiosk, the gateway and the simulators. */
import { parseArgs } from 'node:util';
import { QuancunError } from '../common/errors.ts';
import { commandHelp, parseArgsOptions, type Command } from './command.ts';
import { chaos } from './commands/chaos.ts';
import { gateway } from './commands/gateway.ts';
import { kiosk } from './commands/kiosk.ts';
import { run } from './commands/run.ts';
import { simBank } from './commands/sim-bank.ts';
import { simCard } from './commands/sim-card.ts';
import { simLoad } from './commands/sim-load.ts';
import { technicianPin } from './commands/technician-pin.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { simDay } from './commands/sim-day.ts';

const COMMANDS: Command[] = [run, gateway, kiosk, simLoad, simCard, simDay, reconcileCommand, simBank, chaos, technicianPin];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'quancun — campus one-card self-service load kiosk runtime (圈存机)',
    '',
    'Usage: quancun <command> [options]     quancun <command> --help',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

export async function main(argv: string[]): Promise<number> {
  const command = COMMANDS.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!command) {
    const asked = argv[0] === undefined || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help';
    (asked ? console.log : console.error)(usage());
    return asked ? 0 : 2;
  }
  const rest = argv.slice(command.name.split(' ').length);
  if (rest.includes('--help') || rest.includes('-h')) {
    console.log(commandHelp(command));
    return 0;
  }
  let parsed;
  try {
    parsed = parseArgs({ args: rest, options: parseArgsOptions(command), allowPositionals: true, strict: true });
  } catch (err) {
    console.error(`quancun ${command.name}: ${(err as Error).message}\n\n${commandHelp(command)}`);
    return 2;
  }
  try {
    return await command.run(parsed.values as Record<string, string | boolean | undefined>, parsed.positionals);
  } catch (err) {
    const e = QuancunError.from(err);
    console.error(`quancun ${command.name}: ${e.code}: ${e.message}`);
    return 1;
  }
}
