/**
 * A strict parser of the Prometheus text exposition format 0.0.4, written from its specification
 * (prometheus.io/docs/instrumenting/exposition_formats), independent of prom-client: tests read /metrics with it.
 * Any line that is not a comment, HELP, TYPE or a well-formed sample throws, naming the line.
 */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Family {
  name: string;
  type: 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';
  help?: string;
  samples: Sample[];
}

const METRIC = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

function value(text: string, where: string): number {
  if (text === 'NaN') return NaN;
  if (text === '+Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (!/^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/.test(text)) throw new Error(`${where}: "${text}" is not a sample value`);
  return Number(text);
}

/** The labels of `{a="x",b="y"}` from `i` (just after the brace); returns them and the index after the closing brace. */
function labels(line: string, i: number, where: string): [Record<string, string>, number] {
  const out: Record<string, string> = {};
  for (;;) {
    if (line[i] === '}') return [out, i + 1];
    const eq = line.indexOf('=', i);
    if (eq < 0) throw new Error(`${where}: label without "="`);
    const name = line.slice(i, eq).trim();
    if (!LABEL.test(name)) throw new Error(`${where}: bad label name "${name}"`);
    if (Object.hasOwn(out, name)) throw new Error(`${where}: label ${name} twice`);
    if (line[eq + 1] !== '"') throw new Error(`${where}: label value not quoted`);
    let v = '';
    let j = eq + 2;
    for (; j < line.length && line[j] !== '"'; j++) {
      if (line[j] !== '\\') {
        v += line[j];
        continue;
      }
      const next = line[++j];
      if (next === 'n') v += '\n';
      else if (next === '\\' || next === '"') v += next;
      else throw new Error(`${where}: bad escape \\${next ?? ''}`);
    }
    if (j >= line.length) throw new Error(`${where}: unterminated label value`);
    out[name] = v;
    i = j + 1;
    if (line[i] === ',') i++;
    else if (line[i] !== '}') throw new Error(`${where}: expected "," or "}" after label ${name}`);
  }
}

/** The family a sample name belongs to: a histogram's _bucket/_sum/_count and a summary's _sum/_count are its own. */
function familyOf(name: string, families: Map<string, Family>): Family | undefined {
  const own = families.get(name);
  if (own) return own;
  const m = /^(.*)_(bucket|sum|count)$/.exec(name);
  const base = m && families.get(m[1]!);
  if (base && (base.type === 'histogram' || (base.type === 'summary' && m![2] !== 'bucket'))) return base;
  return undefined;
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const declare = (name: string, where: string) => {
    if (!METRIC.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
    let f = families.get(name);
    if (!f) families.set(name, (f = { name, type: 'untyped', samples: [] }));
    return f;
  };
  if (text.length > 0 && !text.endsWith('\n')) throw new Error('the text does not end with a line feed');
  for (const [n, line] of text.split('\n').entries()) {
    const where = `line ${n + 1}`;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s+(.*))?$/.exec(line);
      if (!m) continue; // an ordinary comment
      const f = declare(m[2]!, where);
      if (m[1] === 'HELP') f.help = m[3] ?? '';
      else {
        if (!TYPES.has(m[3] ?? '')) throw new Error(`${where}: unknown type "${m[3]}"`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE of ${f.name} after its samples`);
        f.type = m[3] as Family['type'];
      }
      continue;
    }
    const nameEnd = line.search(/[{\s]/);
    if (nameEnd <= 0) throw new Error(`${where}: not a sample`);
    const name = line.slice(0, nameEnd);
    if (!METRIC.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
    let rest = nameEnd;
    let sampleLabels: Record<string, string> = {};
    if (line[rest] === '{') [sampleLabels, rest] = labels(line, rest + 1, where);
    const fields = line.slice(rest).trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') throw new Error(`${where}: expected a value and an optional timestamp`);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`${where}: bad timestamp`);
    const family = familyOf(name, families) ?? declare(name, where);
    family.samples.push({ name, labels: sampleLabels, value: value(fields[0]!, where) });
  }
  return families;
}

/** The one sample named `name` whose labels include `labels`; throws when there is none or more than one. */
export function sampleValue(families: Map<string, Family>, name: string, labels: Record<string, string> = {}): number {
  const found = [...families.values()].flatMap((f) => f.samples)
    .filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length !== 1) throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)}`);
  return found[0]!.value;
}
