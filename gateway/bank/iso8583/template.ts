/**
 * Message templates from a bank profile: which fields an operation's request and response carry, each a literal,
 * one variable, or (for fields with subfields) parts at fixed offsets. The link builds requests and reads responses
 * with them; the bank simulator reads requests and builds responses with the same templates.
 */
import { QuancunError } from '../../../common/errors.ts';
import type { FieldSpec, FieldValue } from './field-format.ts';
import type { IsoMessage } from './codec.ts';

/** The variables a template may name. */
export const TEMPLATE_VARS = [
  'stan', 'terminalId', 'merchantId', 'batch', 'operator', 'pan', 'amount', 'pinBlock', 'campusRef', 'reason',
  'responseCode', 'bankRef', 'hostDate', 'hostTime', 'workingKeys',
  // settlement totals (0500/0510) and the settlement result: 1 balanced, 2 not balanced
  'debitAmount', 'debitCount', 'creditAmount', 'creditCount', 'settleResult',
] as const;
export type TemplateVar = (typeof TEMPLATE_VARS)[number];
export type Vars = Partial<Record<TemplateVar, FieldValue>>;

export type ValueTemplate = { literal: string } | { variable: TemplateVar };
export type FieldTemplate = ValueTemplate | { parts: Array<{ offset: number; length: number; value: ValueTemplate }> };

export interface MessageTemplate {
  mti: string;
  fields: ReadonlyMap<number, FieldTemplate>;
}

function valueOf(spec: FieldSpec, v: ValueTemplate, vars: Vars): FieldValue | undefined {
  if ('variable' in v) return vars[v.variable];
  return spec.format === 'b' ? Buffer.from(v.literal, 'hex') : v.literal;
}

/** A field whose whole value is a variable absent from `vars` is left out (e.g. 62 in a declined sign-on). */
export function buildMessage(template: MessageTemplate, specs: ReadonlyMap<number, FieldSpec>, vars: Vars): IsoMessage {
  const fields: Record<number, FieldValue> = {};
  for (const [no, t] of template.fields) {
    const spec = specs.get(no)!;
    if (!('parts' in t)) {
      const value = valueOf(spec, t, vars);
      if (value !== undefined) fields[no] = value;
      continue;
    }
    fields[no] = t.parts.map((p) => {
      const value = valueOf(spec, p.value, vars);
      if (typeof value !== 'string' || value.length !== p.length) {
        throw new QuancunError('INTERNAL', `field ${no} part at ${p.offset} needs ${p.length} characters`, { field: no });
      }
      return value;
    }).join('');
  }
  return { mti: template.mti, fields };
}

/** The variables a message carries where its template names them. */
export function readMessage(template: MessageTemplate, msg: IsoMessage): Vars {
  const vars: Vars = {};
  for (const [no, t] of template.fields) {
    const value = msg.fields[no];
    if (value === undefined) continue;
    if ('variable' in t) vars[t.variable] = value;
    if (!('parts' in t) || typeof value !== 'string') continue;
    for (const p of t.parts) {
      const part = value.slice(p.offset, p.offset + p.length);
      if ('variable' in p.value && part.length === p.length) vars[p.value.variable] = part;
    }
  }
  return vars;
}

type Literal = { no: number; offset: number | null; text: string };

/** The template's literals, whole fields and parts, as (field, offset, text); `offset` is null for a whole field. */
export function literalsOf(template: MessageTemplate): Literal[] {
  return [...template.fields].flatMap(([no, t]): Literal[] => {
    if ('literal' in t) return [{ no, offset: null, text: t.literal }];
    if (!('parts' in t)) return [];
    return t.parts.flatMap((p) => ('literal' in p.value ? [{ no, offset: p.offset, text: p.value.literal }] : []));
  });
}

/**
 * Whether `msg` is an instance of `template`: same MTI and every literal in place. Operations that share an MTI
 * (echo and sign-off are both 0820 in UnionPay) are told apart by their literals (60.3).
 */
export function matchesTemplate(template: MessageTemplate, msg: IsoMessage): boolean {
  if (template.mti !== msg.mti) return false;
  return literalsOf(template).every(({ no, offset, text }) => {
    const value = msg.fields[no];
    if (Buffer.isBuffer(value)) return offset === null && value.equals(Buffer.from(text, 'hex'));
    if (typeof value !== 'string') return false;
    return offset === null ? value === text : value.slice(offset, offset + text.length) === text;
  });
}
