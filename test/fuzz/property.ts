/**
 * The one property every fuzz target is held to: each input ends in a value or a QuancunError — no other exception,
 * no input that takes longer than a bound (a hang or a quadratic blow-up), no growth of the process's array buffers
 * beyond a bound (a parser allocating by a length field). Used by `npm run fuzz` (in a worker per target) and by the
 * suite's seeded share alike.
 */
import fc from 'fast-check';
import { QuancunError } from '../../common/errors.ts';
import type { FuzzTarget, Input } from './target.ts';

export interface FuzzOptions {
  runs: number;
  seed: number;
  /** One input may take this long; a parser that is linear in its (bounded) input needs well under a millisecond. */
  inputMs?: number;
  /** Called before each input runs, so a watchdog can show the input that never returned. */
  onInput?: (input: Input, index: number) => void;
}

export interface FuzzReport {
  name: string;
  inputs: number;
  seconds: number;
  failures: number;
  /** The (shrunk) failing input as hex chunks, and why it failed. */
  failure?: { input: string[]; error: string; seed: number; path?: string };
}

/** Array buffers may grow this much while a target runs: garbage not yet collected, never an allocation by length. */
const ARRAY_BUFFER_SLACK = 256 * 1024 * 1024;
const MEMORY_EVERY = 4096;

export const showInput = (input: Input): string[] => input.map((c) => c.toString('hex'));

interface Outcome { ms: number; threw: boolean; error?: unknown }

async function runOnce(target: FuzzTarget, input: Input): Promise<Outcome> {
  const started = performance.now();
  try {
    const result = target.run(input);
    if (result instanceof Promise) await result;
    return { ms: performance.now() - started, threw: false };
  } catch (error) {
    return { ms: performance.now() - started, threw: true, error };
  }
}

function judge(target: FuzzTarget, inputMs: number, outcome: Outcome): void {
  if (outcome.threw && !(outcome.error instanceof QuancunError)) {
    const e = outcome.error;
    throw new Error(`${target.name} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`, { cause: e });
  }
  if (outcome.ms > inputMs) throw new Error(`${target.name} took ${outcome.ms.toFixed(1)} ms on one input, twice (bound ${inputMs} ms)`);
}

export async function fuzz(target: FuzzTarget, o: FuzzOptions): Promise<FuzzReport> {
  const inputMs = o.inputMs ?? 250;
  const baseline = process.memoryUsage().arrayBuffers;
  let index = 0;
  const before = (input: Input) => {
    o.onInput?.(input, index);
    if (++index % MEMORY_EVERY === 0) {
      const grown = process.memoryUsage().arrayBuffers - baseline;
      if (grown > ARRAY_BUFFER_SLACK) throw new Error(`array buffers grew by ${grown} bytes`);
    }
  };
  const property = fc.asyncProperty(target.inputs, async (input) => {
    before(input);
    let outcome = await runOnce(target, input);
    // Over the bound, the input is timed again: a parser slow on it is slow again, a stall of the shared machine
    // (other processes on both cores, a GC pause) is not. A full run failed on a 349 ms stall of a 2 ms input.
    if (outcome.ms > inputMs) outcome = await runOnce(target, input);
    judge(target, inputMs, outcome);
  });
  const t0 = performance.now();
  // the timeout catches a promise that never settles; two timed runs fit in it
  const details = await fc.check(property, { numRuns: o.runs, seed: o.seed, timeout: inputMs * 8, verbose: fc.VerbosityLevel.None });
  const seconds = (performance.now() - t0) / 1000;
  const report: FuzzReport = { name: target.name, inputs: details.numRuns, seconds, failures: details.failed ? 1 : 0 };
  if (details.failed) {
    const [input] = (details.counterexample ?? [[]]) as [Input];
    const error = details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance ?? 'timed out');
    report.failure = { input: showInput(input), error, seed: details.seed, path: details.counterexamplePath ?? undefined };
  }
  return report;
}
