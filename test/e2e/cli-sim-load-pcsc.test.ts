/**
 * The CLI on the real PC/SC stack, as a person runs it with two terminals: `quancun sim card` puts 张三's card into a
 * vpcd slot of the private pcscd, `quancun sim load --reader pcsc` waits for whatever card the reader holds and loads
 * it. Figures from config/embedded.json (张三: card 10.00, bank 5000.00).
 */
import test from 'ava';
import { execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { PcscCardReader } from '../../hal/card-reader/pcsc-reader.ts';
import { claimVpcdSlot } from '../support/pcsc.ts';

const BIN = fileURLToPath(new URL('../../bin/quancun.mjs', import.meta.url));

test('sim card in a vpcd slot, then sim load --reader pcsc loads that card: card +2000 fen, bank -2000 fen', async (t) => {
  const slot = await claimVpcdSlot();
  t.teardown(() => slot.release());
  // Watches the slot from the test's side, so it is handed on only once pcscd saw the card go.
  const watcher = new PcscCardReader({ readerName: slot.readerName });
  await watcher.start();
  t.teardown(() => watcher.stop());

  const present = once(watcher, 'present');
  const card = spawn(process.execPath, [BIN, 'sim', 'card', '--port', String(slot.port)], { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => card.kill('SIGKILL'));
  let cardOut = '';
  card.stdout.setEncoding('utf8').on('data', (s: string) => (cardOut += s));
  await present;
  t.regex(cardOut, /balance 10\.00\) is in vpcd 127\.0\.0\.1:\d+/);

  const { stdout } = await promisify(execFile)(process.execPath, [
    BIN, 'sim', 'load', '--reader', 'pcsc', '--reader-name', slot.readerName, '--amount', '20.00', '--json',
  ]);
  t.like(JSON.parse(stdout.trimEnd().split('\n').at(-1)!), {
    state: 'completed', amount: 2000, card: { before: 1000, after: 3000 }, bank: { before: 500_000, after: 498_000 }, tacVerified: true,
  });

  const absent = once(watcher, 'absent');
  const exited = once(card, 'exit');
  card.kill('SIGINT');
  const [code] = await exited;
  await absent;
  t.is(code, 0);
  t.regex(cardOut, /card taken away; balance 30\.00/);
});

test('sim load --reader pcsc on a reader pcscd does not have refuses at once with READER_UNAVAILABLE, moving nothing', async (t) => {
  const run = await promisify(execFile)(process.execPath, [
    BIN, 'sim', 'load', '--reader', 'pcsc', '--reader-name', 'No Such Reader', '--amount', '20.00', '--json',
  ]).then(() => ({ code: 0, stdout: '' }), (err: { code: number; stdout: string }) => err);
  t.is(run.code, 1);
  t.like(JSON.parse(run.stdout.trimEnd().split('\n').at(-1)!), { state: 'refused', code: 'READER_UNAVAILABLE', txnId: null });
});
