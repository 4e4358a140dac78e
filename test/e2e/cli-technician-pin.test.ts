/**
 * `quancun technician-pin` as a technician runs it: on a terminal (a real pseudo-terminal from util-linux's
 * `script`) it asks twice without showing the PIN; from a pipe it reads standard input. The line it prints must
 * hash the PIN typed, and the PIN itself must never appear in what it writes.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { secretMatches } from '../../common/crypto/secret-hash.ts';
import { QUANCUN_BIN } from '../support/cli.ts';

const CONFIG_LINE = /\{"technician":\{"pinHash":"(scrypt\$[0-9a-f]{32}\$[0-9a-f]{64})"\}\}/;
const stripAnsi = (s: string) => s.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, '');

interface Run { code: number | null; stdout: string; stderr: string }

/**
 * The command on a pseudo-terminal: each step waits for `prompt` to appear in what the terminal shows (counted
 * from the step before), then types `keys`.
 */
async function onTerminal(steps: Array<{ prompt: string; keys: string }>): Promise<Run> {
  const child = spawn('script', ['-qefc', `${process.execPath} ${QUANCUN_BIN} technician-pin`, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let shown = '';
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  let from = 0;
  let step = 0;
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve));
  child.stdout.on('data', (d: Buffer) => {
    shown += d.toString();
    // One chunk may hold several prompts (a refusal and the question after it).
    for (let next = steps[step]; next; next = steps[step]) {
      const at = stripAnsi(shown).indexOf(next.prompt, from);
      if (at < 0) return;
      from = at + next.prompt.length;
      step++;
      child.stdin.write(next.keys);
    }
  });
  const code = await exited;
  return { code, stdout: stripAnsi(shown), stderr };
}

async function piped(input: string): Promise<Run> {
  const child = spawn(process.execPath, [QUANCUN_BIN, 'technician-pin'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(input);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  return { code, stdout, stderr };
}

const FIRST = 'Technician PIN (6 digits):';
const AGAIN = 'The same PIN again:';

test('on a terminal: a short PIN is refused in place, two different ones start over, two equal ones give the config line', async (t) => {
  const run = await onTerminal([
    { prompt: FIRST, keys: '1234\r' },
    { prompt: "a technician PIN is 6 digits (the maintenance screen's keypad takes that many)", keys: '\x15135790\r' },
    { prompt: AGAIN, keys: '135799\r' },
    { prompt: 'The two PINs differ; start again.', keys: '' },
    { prompt: FIRST, keys: '246810\r' },
    { prompt: AGAIN, keys: '246810\r' },
  ]);
  t.is(run.code, 0, run.stdout + run.stderr);
  const hash = CONFIG_LINE.exec(run.stdout)?.[1];
  t.truthy(hash, run.stdout);
  t.true(secretMatches('246810', hash!));
  for (const pin of ['1234', '135790', '135799', '246810']) t.false(run.stdout.includes(pin), `${pin} was shown on the terminal`);
});

test('on a terminal: Ctrl+C is PIN_ENTRY_CANCELLED, exit 1, and no config line', async (t) => {
  const run = await onTerminal([{ prompt: FIRST, keys: '12\x03' }]);
  t.is(run.code, 1);
  t.true(run.stdout.includes('quancun technician-pin: PIN_ENTRY_CANCELLED: no PIN was entered'), run.stdout);
  t.false(CONFIG_LINE.test(run.stdout));
});

test('from a pipe: the PIN on standard input, nothing asked, only the config line on stdout', async (t) => {
  const run = await piped('975310\n');
  t.is(run.code, 0, run.stderr);
  t.is(run.stderr, '');
  const [line, ...rest] = run.stdout.split('\n');
  t.deepEqual(rest, ['']);
  t.true(secretMatches('975310', CONFIG_LINE.exec(line!)![1]!));
});

test('from a pipe: a PIN that is not six digits is CONFIG_INVALID saying why, exit 1', async (t) => {
  for (const input of ['12345', '1234567', '12345a', '']) {
    const run = await piped(input);
    t.is(run.code, 1, input);
    t.is(run.stdout, '');
    t.is(run.stderr, "quancun technician-pin: CONFIG_INVALID: a technician PIN is 6 digits (the maintenance screen's keypad takes that many)\n");
  }
});
