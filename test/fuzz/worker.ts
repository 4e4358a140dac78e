/**
 * Runs one fuzz target in a worker thread for `npm run fuzz`. Before each input it copies the input into the shared
 * buffer and bumps the counter, so the main thread can tell a hang (the counter stands still) and print the input.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { fuzz } from './property.ts';
import { TARGETS } from './targets.ts';
import { writeInput, type WorkerJob } from './watch.ts';

const job = workerData as WorkerJob;
const target = TARGETS.find((t) => t.name === job.name)!;
const report = await fuzz(target, { runs: job.runs, seed: job.seed, onInput: (input, index) => writeInput(job.shared, input, index) });
parentPort!.postMessage(report);
