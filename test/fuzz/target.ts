/**
 * What a fuzz target is, and the inputs every target draws from: random bytes, and valid messages mutated the way a
 * broken peer or a bad line garbles them (bit flips, truncation, insertion, deletion, a length or digit field
 * overwritten, a slice duplicated as a repeated field would be). Every input is a list of byte chunks (one chunk for
 * a whole-message parser; several for a stream decoder that gets what arrives), so the runner can copy and print any
 * input the same way.
 */
import fc from 'fast-check';
import { QuancunError } from '../../common/errors.ts';

export type Input = Buffer[];

export interface FuzzTarget {
  name: string;
  /** What the parser is, for the report. */
  about: string;
  inputs: fc.Arbitrary<Input>;
  /**
   * Feeds one input to the parser. Returning (a value) and throwing QuancunError both pass; anything else thrown is a
   * finding. A plain Error thrown from here is how a target reports a result that breaks its bound (e.g. more
   * decoded bytes than the input held). May return a promise: async parsers are bounded by the runner's timeout.
   */
  run(input: Input): unknown;
}

/** Inputs stay small: a parser's work and memory are then bounded by them, and anything bigger is the parser's fault. */
export const MAX_INPUT_BYTES = 4096;

const MUTATIONS = ['flip', 'truncate', 'insert', 'delete', 'overwrite', 'digits', 'duplicate'] as const;

const mutation = fc.record({
  kind: fc.constantFrom(...MUTATIONS),
  at: fc.nat(),
  len: fc.integer({ min: 1, max: 16 }),
  bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(data: Buffer, m: Mutation): Buffer {
  const at = m.at % (data.length + 1);
  const end = Math.min(data.length, at + m.len);
  switch (m.kind) {
    case 'flip': {
      if (!data.length) return data;
      const out = Buffer.from(data);
      const bit = m.at % (data.length * 8);
      out[bit >> 3]! ^= 0x80 >> (bit & 7);
      return out;
    }
    case 'truncate':
      return data.subarray(0, at);
    case 'insert':
      return Buffer.concat([data.subarray(0, at), m.bytes, data.subarray(at)]);
    case 'delete':
      return Buffer.concat([data.subarray(0, at), data.subarray(end)]);
    case 'overwrite': {
      const out = Buffer.from(data);
      out.set(m.bytes.subarray(0, out.length - at), at);
      return out;
    }
    case 'digits': {
      // ASCII or BCD digits where a length or amount field may sit: 0x39 and 0x99 are the largest each can say
      const out = Buffer.from(data);
      for (let i = at; i < end; i++) out[i] = [0x30, 0x39, 0x99, 0x00, 0xff][m.bytes[0]! % 5]!;
      return out;
    }
    case 'duplicate':
      return Buffer.concat([data.subarray(0, end), data.subarray(at, end), data.subarray(end)]);
  }
}

const bounded = (b: Buffer) => (b.length > MAX_INPUT_BYTES ? b.subarray(0, MAX_INPUT_BYTES) : b);

/** Random bytes, or one of `seeds` under up to four mutations (none: the valid message itself). */
export function messageBytes(seeds: readonly Buffer[]): fc.Arbitrary<Buffer> {
  if (!seeds.length) throw new Error('a fuzz target needs at least one valid seed');
  const random = fc.uint8Array({ maxLength: 512 }).map((a) => Buffer.from(a));
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(mutation, { maxLength: 4 }))
    .map(([seed, ms]) => bounded(ms.reduce(mutate, seed)));
  return fc.oneof({ arbitrary: random, weight: 1 }, { arbitrary: mutated, weight: 4 });
}

/** A JSON document from `seeds` with one value replaced by an arbitrary JSON value (or a key dropped), as bytes. */
export function jsonMutations(seeds: readonly unknown[]): fc.Arbitrary<Buffer> {
  const replacement = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.constantFrom(-1, 1e300, 2 ** 53, 0.5, '', 'x'.repeat(300), null, [], {}, '00000000-0000-0000-0000-000000000000'),
  );
  return fc.tuple(fc.constantFrom(...seeds), fc.nat(), replacement, fc.boolean())
    .map(([seed, pick, value, drop]) => bounded(Buffer.from(JSON.stringify(replaceNode(seed, pick, value, drop)) ?? '', 'utf8')));
}

/** The tree with its `pick`-th node (in depth-first order, modulo the count) replaced by `value`, or removed. */
function replaceNode(tree: unknown, pick: number, value: unknown, drop: boolean): unknown {
  const count = (n: unknown): number =>
    1 + (n && typeof n === 'object' ? Object.values(n).reduce((s: number, c) => s + count(c), 0) : 0);
  let left = pick % count(tree);
  const walk = (n: unknown): unknown => {
    if (left-- === 0) return value;
    if (!n || typeof n !== 'object') return n;
    if (Array.isArray(n)) return n.flatMap((c) => (left === 0 && drop ? (left--, []) : [walk(c)]));
    return Object.fromEntries(Object.entries(n).flatMap(([k, c]) => (left === 0 && drop ? (left--, []) : [[k, walk(c)]])));
  };
  return walk(tree);
}

/** One byte string as the single chunk of an input. */
export const whole = (bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Input> => bytes.map((b) => [b]);

/** One byte string cut at up to four places, as a stream delivers it in chunks. */
export function chunked(bytes: fc.Arbitrary<Buffer>): fc.Arbitrary<Input> {
  return fc.tuple(bytes, fc.array(fc.nat(), { maxLength: 4 })).map(([b, cuts]) => {
    const points = [...new Set(cuts.map((c) => c % (b.length + 1)))].sort((x, y) => x - y);
    return [0, ...points].map((start, i) => b.subarray(start, points[i] ?? b.length));
  });
}

/** A result that breaks a bound the parser promises: the runner counts it as a finding. */
export function bound(ok: boolean, what: string): void {
  if (!ok) throw new Error(`bound broken: ${what}`);
}

const keepQuancunError = (err: unknown): QuancunError => {
  if (err instanceof QuancunError) return err;
  throw err;
};

/**
 * Runs one of several parsers fed the same input: a QuancunError is that parser's answer, the others still run. An
 * async parser's promise resolves to its QuancunError the same way.
 */
export function attempt(parse: () => unknown): unknown {
  try {
    const result = parse();
    return result instanceof Promise ? result.catch(keepQuancunError) : result;
  } catch (err) {
    return keepQuancunError(err);
  }
}
