/**
 * `quancun` as a newcomer first meets it: its version, its help, and a command or option it does not have.
 * The exit status follows the CLI's rule: 0 for what was asked, 2 for a command line it cannot run.
 */
import test from 'ava';
import { readFileSync } from 'node:fs';
import { quancun } from '../support/cli.ts';

const VERSION = (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

test('--version and -V print the package version alone, exit 0', async (t) => {
  for (const flag of ['--version', '-V']) {
    const run = await quancun(flag);
    t.is(run.code, 0);
    t.is(run.stdout, `${VERSION}\n`);
    t.is(run.stderr, '');
  }
});

test('--help names --version and lists the commands on stdout, exit 0', async (t) => {
  const run = await quancun('--help');
  t.is(run.code, 0);
  t.true(run.stdout.includes('Usage: quancun <command> [options]     quancun <command> --help     quancun --version\n'));
  t.true(run.stdout.includes('\n  technician-pin  '));
});

test('a command it does not have is named, with the nearest one, then the usage on stderr; exit 2', async (t) => {
  const cases: Array<[string[], string]> = [
    [['nonsense'], 'quancun: unknown command "nonsense"'],
    [['rnu'], 'quancun: unknown command "rnu" (did you mean "run"?)'],
    [['sim', 'lod', '--amount', '1'], 'quancun: unknown command "sim lod" (did you mean "sim load"?)'],
    [['sim'], 'quancun: "sim" needs its second word: "sim load", "sim card", "sim day", "sim bank", "sim biller"'],
    [['--verbose', 'run'], 'quancun: unknown option "--verbose" (options go after the command)'],
  ];
  for (const [args, first] of cases) {
    const run = await quancun(...args);
    t.is(run.code, 2, args.join(' '));
    t.is(run.stdout, '');
    const [line, blank, title] = run.stderr.split('\n');
    t.deepEqual([line, blank, title], [first, '', 'quancun — campus one-card self-service load kiosk runtime (圈存机)']);
  }
});
