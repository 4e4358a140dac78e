/**
 * The shared memory between the fuzz runner and its worker: an input counter and the input being run (chunk count,
 * chunk lengths, bytes), so an input that never returns can still be shown after the worker is stopped.
 */
import { MAX_INPUT_BYTES, type Input } from './target.ts';

export interface WorkerJob {
  name: string;
  runs: number;
  seed: number;
  shared: SharedArrayBuffer;
}

const MAX_CHUNKS = 64;
const HEADER = 4 * (2 + MAX_CHUNKS);

export const sharedInputBuffer = () => new SharedArrayBuffer(HEADER + MAX_INPUT_BYTES * 2);

export function writeInput(shared: SharedArrayBuffer, input: Input, index: number): void {
  const header = new Int32Array(shared, 0, 2 + MAX_CHUNKS);
  const bytes = new Uint8Array(shared, HEADER);
  let at = 0;
  const chunks = input.slice(0, MAX_CHUNKS);
  chunks.forEach((c, i) => {
    const part = c.subarray(0, bytes.length - at);
    bytes.set(part, at);
    header[2 + i] = part.length;
    at += part.length;
  });
  header[1] = chunks.length;
  Atomics.store(header, 0, index + 1);
}

/** How many inputs the worker has started. */
export const inputsStarted = (shared: SharedArrayBuffer): number => Atomics.load(new Int32Array(shared, 0, 1), 0);

export function readInput(shared: SharedArrayBuffer): string[] {
  const header = new Int32Array(shared, 0, 2 + MAX_CHUNKS);
  const bytes = Buffer.from(shared, HEADER);
  const out: string[] = [];
  let at = 0;
  for (let i = 0; i < header[1]!; i++) {
    out.push(bytes.subarray(at, at + header[2 + i]!).toString('hex'));
    at += header[2 + i]!;
  }
  return out;
}
