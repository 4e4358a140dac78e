/**
 * `npm run fuzz [-- --runs N] [--seed S] [--only NAME]`: every fuzz target, one after the other, each in its own worker
 * thread watched for hangs. Prints a line per target (inputs, seconds, failures, and the failing input if any) and a
 * total; exits 1 on any failure. Default: 1,000,000 inputs per target, seed 1 (the figures in docs/fuzzing.md).
 */
import { parseArgs } from 'node:util';
import { Worker } from 'node:worker_threads';
import type { FuzzReport } from './property.ts';
import { TARGETS } from './targets.ts';
import { inputsStarted, readInput, sharedInputBuffer, type WorkerJob } from './watch.ts';

/** An input that has not returned after this long is a hang: nothing here needs more than milliseconds. */
const HANG_MS = 10_000;

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '1000000' }, seed: { type: 'string', default: '1' }, only: { type: 'string', multiple: true } },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
if (!Number.isSafeInteger(runs) || runs < 1 || !Number.isSafeInteger(seed)) {
  console.error('--runs takes a positive integer, --seed an integer');
  process.exit(2);
}
const unknown = (values.only ?? []).filter((n) => !TARGETS.some((t) => t.name === n));
if (unknown.length) {
  console.error(`no fuzz target ${unknown.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}
const chosen = TARGETS.filter((t) => !values.only || values.only.includes(t.name));

function runInWorker(name: string): Promise<FuzzReport> {
  const shared = sharedInputBuffer();
  const job: WorkerJob = { name, runs, seed, shared };
  // Node 20 does not pass tsx's loader on to a worker's entry module: the worker registers it, then imports the entry.
  const entry = JSON.stringify(new URL('./worker.ts', import.meta.url).href);
  const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${entry}); })`, { eval: true, workerData: job });
  const started = performance.now();
  return new Promise((resolve, reject) => {
    let last = -1;
    let lastMoved = performance.now();
    const watch = setInterval(() => {
      const now = inputsStarted(shared);
      if (now !== last) {
        last = now;
        lastMoved = performance.now();
      } else if (performance.now() - lastMoved > HANG_MS) {
        clearInterval(watch);
        const input = readInput(shared);
        void worker.terminate();
        resolve({
          name, inputs: now, seconds: (performance.now() - started) / 1000, failures: 1,
          failure: { input, error: `input ${now} did not return within ${HANG_MS} ms`, seed },
        });
      }
    }, 500);
    worker.once('message', (report: FuzzReport) => {
      clearInterval(watch);
      void worker.terminate();
      resolve(report);
    });
    worker.once('error', (err) => {
      clearInterval(watch);
      reject(err);
    });
  });
}

const pad = (s: string | number, n: number) => String(s).padStart(n);
console.log(`fuzz: ${chosen.length} targets, ${runs} inputs each, seed ${seed}`);
console.log(`${'target'.padEnd(22)} ${pad('inputs', 10)} ${pad('seconds', 8)} ${pad('failures', 8)}`);
let inputs = 0;
let seconds = 0;
let failures = 0;
for (const target of chosen) {
  const r = await runInWorker(target.name);
  inputs += r.inputs;
  seconds += r.seconds;
  failures += r.failures;
  console.log(`${r.name.padEnd(22)} ${pad(r.inputs, 10)} ${pad(r.seconds.toFixed(1), 8)} ${pad(r.failures, 8)}`);
  if (r.failure) {
    console.log(`  ${r.failure.error}`);
    console.log(`  input (hex chunks): ${JSON.stringify(r.failure.input)}`);
    console.log(`  replay: npm run fuzz -- --only ${r.name} --seed ${r.failure.seed}${r.failure.path ? ` (fast-check path ${r.failure.path})` : ''}`);
  }
}
console.log(`${'total'.padEnd(22)} ${pad(inputs, 10)} ${pad(seconds.toFixed(1), 8)} ${pad(failures, 8)}`);
process.exit(failures ? 1 : 0);
