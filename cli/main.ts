/** `quancun <command>`: one CLI for the kiosk, the gateway and the simulators. */
import { parseArgs } from 'node:util';
import { nearest } from '../common/config-errors.ts';
import { QuancunError } from '../common/errors.ts';
import { commandHelp, parseArgsOptions, type Command } from './command.ts';
import { chaos } from './commands/chaos.ts';
import { gateway } from './commands/gateway.ts';
import { kiosk } from './commands/kiosk.ts';
import { run } from './commands/run.ts';
import { simBank } from './commands/sim-bank.ts';
import { simBiller } from './commands/sim-biller.ts';
import { simCard } from './commands/sim-card.ts';
import { simLoad } from './commands/sim-load.ts';
import { technicianPin } from './commands/technician-pin.ts';
import { provisionCommand } from './commands/provision.ts';
import { reconcileCommand } from './commands/reconcile.ts';
import { remoteCommand } from './commands/remote-command.ts';
import { simDay } from './commands/sim-day.ts';
import { caCommands } from './commands/ca.ts';
import { consoleCommands } from './commands/console-user.ts';
import { subsidyCommands } from './commands/subsidy.ts';
import { transferCommands } from './commands/transfer.ts';
import { packageVersion } from './defaults.ts';

const COMMANDS: Command[] = [run, gateway, kiosk, simLoad, simCard, simDay, reconcileCommand, remoteCommand, simBank, simBiller, chaos, technicianPin, provisionCommand, ...caCommands, ...consoleCommands, ...subsidyCommands, ...transferCommands];

function usage(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    'quancun — campus one-card self-service load kiosk runtime (圈存机)',
    '',
    'Usage: quancun <command> [options]     quancun <command> --help     quancun --version',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
  ].join('\n');
}

/** What was typed instead of a command, and the command it was probably meant to be. */
function unknownCommand(argv: string[]): string {
  const [first = '', second] = argv;
  if (first.startsWith('-')) return `unknown option "${first}" (options go after the command)`;
  const group = COMMANDS.filter((c) => c.name.startsWith(`${first} `)).map((c) => c.name);
  if (group.length > 0 && second === undefined) return `"${first}" needs its second word: ${group.map((n) => `"${n}"`).join(', ')}`;
  // `sim lod`: the group's word was right, the second one is the slip.
  const typed = group.length > 0 ? `${first} ${second}` : first;
  const near = nearest(typed, COMMANDS.map((c) => c.name));
  return `unknown command "${typed}"${near ? ` (did you mean "${near}"?)` : ''}`;
}

export async function main(argv: string[]): Promise<number> {
  const command = COMMANDS.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!command) {
    if (argv[0] === '--version' || argv[0] === '-V') {
      console.log(packageVersion());
      return 0;
    }
    const asked = argv[0] === undefined || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help';
    if (asked) {
      console.log(usage());
      return 0;
    }
    console.error(`quancun: ${unknownCommand(argv)}\n\n${usage()}`);
    return 2;
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
