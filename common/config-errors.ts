/**
 * How every configuration file (the config, a bank profile, a board profile, whatever comes next) reports its
 * mistakes: CONFIG_INVALID naming the file and each problem with its path. An unknown key is a problem too, with the
 * nearest key the schema takes, since a misspelt optional key would otherwise be dropped without a word and its
 * default used. A JSON syntax error names the line and column.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { z } from 'zod';
import { QuancunError } from './errors.ts';

/** The schema node kinds the unknown-key walk looks through; others (strings, numbers, …) hold no keys. */
type Def =
  | { type: 'object'; shape: Record<string, z.ZodType>; catchall?: z.ZodType }
  | { type: 'array'; element: z.ZodType }
  | { type: 'tuple'; items: z.ZodType[]; rest: z.ZodType | null }
  | { type: 'record'; valueType: z.ZodType }
  | { type: 'union'; options: z.ZodType[]; discriminator?: string }
  | { type: 'optional' | 'nullable' | 'default' | 'prefault' | 'nonoptional' | 'readonly' | 'catch'; innerType: z.ZodType }
  | { type: 'pipe'; in: z.ZodType }
  | { type: 'lazy'; getter: () => z.ZodType }
  | { type: 'never' };

const defOf = (schema: z.ZodType) => schema._zod.def as unknown as Def;

export interface ConfigProblem {
  path: PropertyKey[];
  message: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Keys of `value` the schema does not declare, anywhere below it, each with the keys it could have meant. */
export function unknownKeys(schema: z.ZodType, value: unknown, path: PropertyKey[] = []): ConfigProblem[] {
  const def = defOf(schema);
  switch (def.type) {
    case 'object': {
      if (!isPlainObject(value)) return [];
      // A catchall other than never (z.looseObject, .catchall(s)) takes any key: its values are walked instead.
      const open = def.catchall !== undefined && defOf(def.catchall).type !== 'never' ? def.catchall : undefined;
      return Object.entries(value).flatMap(([key, v]) => {
        const declared = Object.hasOwn(def.shape, key) ? def.shape[key] : open;
        return declared ? unknownKeys(declared, v, [...path, key]) : [{ path: [...path, key], message: unknownKeyMessage(key, Object.keys(def.shape)) }];
      });
    }
    case 'array':
      return Array.isArray(value) ? value.flatMap((v, i) => unknownKeys(def.element, v, [...path, i])) : [];
    case 'tuple':
      return Array.isArray(value) ? value.flatMap((v, i) => {
        const item = def.items[i] ?? def.rest;
        return item ? unknownKeys(item, v, [...path, i]) : [];
      }) : [];
    case 'record':
      return isPlainObject(value) ? Object.entries(value).flatMap(([k, v]) => unknownKeys(def.valueType, v, [...path, k])) : [];
    case 'union': {
      const option = unionOption(def, value);
      return option ? unknownKeys(option, value, path) : [];
    }
    case 'pipe':
      return unknownKeys(def.in, value, path);
    case 'lazy':
      return unknownKeys(def.getter(), value, path);
    case 'optional':
    case 'nullable':
    case 'default':
    case 'prefault':
    case 'nonoptional':
    case 'readonly':
    case 'catch':
      return value === undefined || value === null ? [] : unknownKeys(def.innerType, value, path);
    default:
      return [];
  }
}

/** The option a value was meant for: the one it parses as, else the one its discriminator names. */
function unionOption(def: Extract<Def, { type: 'union' }>, value: unknown): z.ZodType | undefined {
  const parsing = def.options.find((o) => o.safeParse(value).success);
  if (parsing || def.discriminator === undefined || !isPlainObject(value)) return parsing;
  const tag = def.discriminator;
  return def.options.find((o) => {
    const d = defOf(o);
    return d.type === 'object' && d.shape[tag]?.safeParse(value[tag]).success;
  });
}

function unknownKeyMessage(key: string, known: string[]): string {
  const near = nearest(key, known);
  if (near) return `unknown key, did you mean "${near}"?`;
  return known.length ? `unknown key (this takes ${known.map((k) => `"${k}"`).join(', ')})` : 'unknown key (this takes none)';
}

/** The candidate closest to `word`, ignoring case, when close enough to be a slip of the keyboard. */
export function nearest(word: string, candidates: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Math.max(1, Math.floor(word.length / 3)) + 1;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return best;
}

/** Edit distance where inserting, deleting or changing a character, or swapping two neighbours, costs one. */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const change = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + change);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  }
  return d[a.length]![b.length]!;
}

/** zod's issue in the words of a config file: a required key that is not there is "missing". */
function issueMessage(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type' && issue.message.endsWith('received undefined')) return `missing (expected ${issue.expected})`;
  return issue.message;
}

export interface ParseConfigOptions {
  /** How a path reads in a message; by default its parts joined with dots. */
  describePath?: (path: PropertyKey[]) => string;
}

const dotted = (path: PropertyKey[]) => path.map(String).join('.') || '(root)';

/**
 * `input` parsed by any zod schema, every object in it taken as strict: an unknown key anywhere is CONFIG_INVALID.
 * Each problem is listed as `<path>: <what>`, unknown keys first (a misspelt key often also makes a required one
 * "missing"); the error names `source` (the file) and carries the list in `details.issues`.
 */
export function parseConfigSection<S extends z.ZodType>(schema: S, input: unknown, source: string, options: ParseConfigOptions = {}): z.output<S> {
  const describe = options.describePath ?? dotted;
  const result = schema.safeParse(input);
  const problems = [
    ...unknownKeys(schema, input),
    // Strict objects report their unknown keys themselves: the walk above already has them, with a suggestion.
    ...(result.error?.issues ?? []).filter((i) => i.code !== 'unrecognized_keys').map((i) => ({ path: i.path, message: issueMessage(i) })),
  ];
  if (problems.length === 0) return result.data as z.output<S>;
  throw configInvalid(source, problems.map((p) => `${describe(p.path)}: ${p.message}`));
}

/**
 * The bytes of a file that the config file's `key` names, relative to the config file's folder; CONFIG_INVALID naming
 * the key and the file when it cannot be read.
 */
export function readConfigFile(configPath: string, key: string, file: string): Buffer {
  const path = resolve(dirname(configPath), file);
  try {
    return readFileSync(path);
  } catch (err) {
    throw configInvalid(configPath, [`${key}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message})`]);
  }
}

/** CONFIG_INVALID for `source` listing its problems, each already `<path>: <what>`. */
export function configInvalid(source: string, issues: string[]): QuancunError {
  return new QuancunError('CONFIG_INVALID', `${source}: ${issues.join('; ')}`, { path: source, issues });
}

/** Where in `text` JSON.parse stopped, as 1-based line and column; undefined when its message does not say. */
export function jsonErrorPosition(text: string, err: Error): { line: number; column: number } | undefined {
  const offset = jsonErrorOffset(text, err.message);
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset);
  const lineStart = before.lastIndexOf('\n') + 1;
  return { line: before.split('\n').length, column: offset - lineStart + 1 };
}

/** V8 quotes 10 characters either side of an unexpected token when the text is long enough, instead of its offset. */
const CONTEXT = 10;

function jsonErrorOffset(text: string, message: string): number | undefined {
  const at = /at position (\d+)/.exec(message);
  if (at) return Number(at[1]);
  if (message.startsWith('Unexpected end of JSON input')) return text.length;
  const quoted = /^Unexpected token '.+?', (\.\.\.)?"([^]*)"(\.\.\.)? is not valid JSON$/.exec(message);
  if (!quoted) return undefined;
  const [, leading, excerpt, trailing] = quoted as unknown as [string, string | undefined, string, string | undefined];
  if (leading) {
    const start = text.indexOf(excerpt);
    return start < 0 ? undefined : start + CONTEXT;
  }
  if (trailing) return excerpt.length - CONTEXT;
  // A short text is quoted whole: the token's first place in it is the best there is.
  const token = /^Unexpected token '(.+?)'/.exec(message)![1]!;
  return text.indexOf(token);
}
