/**
 * Bank profiles as data: one JSON file per bank dialect declares framing, MTI and bitmap encoding, every field's
 * format, the message templates of each operation, the MAC, the working key layout, card BINs, timeouts, the session
 * schedule and the layout of the daily reconciliation file.
 * Everything is checked at load time; a mistake fails with CONFIG_INVALID naming the file, the field and the reason.
 */
import { z } from 'zod';
import { readJsonFile } from '../../../common/config.ts';
import { configInvalid, parseConfigSection } from '../../../common/config-errors.ts';
import { encodeField, type FieldSpec } from './field-format.ts';
import type { FramingSpec } from './framing.ts';
import { MAC_ALGORITHMS, MAC_BYTES, type MacSpec } from './message-mac.ts';
import { literalsOf, TEMPLATE_VARS, type FieldTemplate, type MessageTemplate, type TemplateVar, type ValueTemplate } from './template.ts';
import { RECON_COLUMNS, type ReconFileLayout } from '../../reconcile/bank-file.ts';

/**
 * `standingTransfer` and `standingReversal` are the debit and its 0400 under a standing agreement (代扣协议, the batch
 * transfer mode, gateway/transfers/): no PIN (no field 52 nor 53), 22 = 012 and 25 = 01 telling them apart.
 */
export const OPERATIONS = ['signOn', 'signOff', 'echo', 'transfer', 'reversal', 'standingTransfer', 'standingReversal', 'settlement', 'batchUpload'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface OperationTemplate {
  request: MessageTemplate;
  response: MessageTemplate;
  /** Request and response carry a MAC under the working MAK. */
  mac: boolean;
}

/** How sign-on field 62 carries the working keys: each encrypted under the TMK, followed by its check value. */
export interface WorkingKeyLayout {
  keyLength: 8 | 16;
  order: Array<'pik' | 'mak'>;
  checkValueLength: number;
}

export interface BankProfile {
  id: string;
  /** The file it was loaded from, for messages. */
  source: string;
  framing: FramingSpec;
  mti: 'bcd' | 'ascii';
  bitmap: 'binary' | 'hex';
  fields: ReadonlyMap<number, FieldSpec>;
  mac: MacSpec;
  workingKeys: WorkingKeyLayout;
  pinBlock: 'iso-0';
  /** Card number prefixes this bank serves. */
  cardBins: string[];
  timeouts: { connectMs: number; responseMs: number; reconnectMinMs: number; reconnectMaxMs: number };
  /**
   * Sign on again every so often (fresh working keys); line check when the link has been idle this long; settle the
   * day's batch at this local time (HH:MM), when given.
   */
  session: { signOnEveryMs: number; echoEveryMs: number; settleAt?: string };
  templates: Record<Operation, OperationTemplate>;
  reconciliation: ReconFileLayout;
}

const hexBytes = (bytes?: number) =>
  z.string().regex(bytes ? new RegExp(`^[0-9A-Fa-f]{${bytes * 2}}$`) : /^([0-9A-Fa-f]{2})*$/, bytes ? `${bytes} bytes as hex` : 'hex bytes');
const ms = z.int().min(1);

const fieldSchema = z.strictObject({
  no: z.int().min(2).max(128),
  name: z.string().min(1).optional(),
  format: z.enum(['n', 'an', 'ans', 'b', 'z']),
  length: z.int().min(1).max(999),
  lengthType: z.enum(['fixed', 'LL', 'LLL']).default('fixed'),
  encoding: z.enum(['bcd', 'ascii']).optional(),
  lengthEncoding: z.enum(['bcd', 'ascii', 'binary']).optional(),
  pad: z.enum(['left', 'right']).optional(),
  subfields: z.array(z.strictObject({ name: z.string().min(1), offset: z.int().min(0), length: z.int().min(1) })).min(1).optional(),
});

const messageSchema = z.strictObject({
  mti: z.string().regex(/^\d{4}$/, 'MTI of 4 digits'),
  fields: z.record(z.string().regex(/^\d{1,3}$/, 'field number'), z.union([z.string(), z.record(z.string(), z.string())])),
});

const operationSchema = z.strictObject(
  { mac: z.boolean(), request: messageSchema, response: messageSchema },
  { error: (iss) => (iss.input === undefined ? 'missing template' : undefined) },
);

const profileSchema = z.strictObject({
  id: z.string().regex(/^[a-z0-9-]+$/),
  description: z.string().optional(),
  framing: z.strictObject({
    lengthPrefix: z.strictObject({ bytes: z.int().min(1).max(4), encoding: z.enum(['binary', 'ascii', 'bcd']) }),
    tpdu: z.strictObject({ id: hexBytes(1), destination: hexBytes(2), source: hexBytes(2) }).nullable(),
    header: hexBytes().nullable(),
  }),
  mti: z.enum(['bcd', 'ascii']),
  bitmap: z.enum(['binary', 'hex']),
  encoding: z.strictObject({ numeric: z.enum(['bcd', 'ascii']), lengthPrefix: z.enum(['bcd', 'ascii', 'binary']) }),
  fields: z.array(fieldSchema).min(1),
  mac: z.strictObject({ algorithm: z.enum(MAC_ALGORITHMS), field: z.int().min(2).max(128), range: z.literal('mti-to-mac') }),
  workingKeys: z.strictObject({
    keyLength: z.union([z.literal(8), z.literal(16)]),
    order: z.array(z.enum(['pik', 'mak'])).refine((o) => o.length === 2 && new Set(o).size === 2, 'pik and mak, once each'),
    checkValueLength: z.int().min(1).max(8),
  }),
  pinBlock: z.literal('iso-0'),
  cardBins: z.array(z.string().regex(/^\d{1,11}$/, 'card number prefix')).min(1),
  timeouts: z.strictObject({ connectMs: ms, responseMs: ms, reconnectMinMs: ms, reconnectMaxMs: ms }),
  session: z.strictObject({ signOnEveryMs: ms, echoEveryMs: ms, settleAt: z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'local time HH:MM').optional() }),
  reconciliation: z.strictObject({
    fileName: z.string().regex(/\{date\}/, 'a file name with {date}'),
    lineEnding: z.enum(['crlf', 'lf']),
    columns: z.array(z.strictObject({ name: z.enum(RECON_COLUMNS), width: z.int().min(1).max(40) })).min(1),
    tradeCodes: z.strictObject({ transfer: z.string().min(1), reversal: z.string().min(1) }),
  }),
  templates: z.strictObject(Object.fromEntries(OPERATIONS.map((op) => [op, operationSchema])) as Record<Operation, typeof operationSchema>),
});
type RawProfile = z.infer<typeof profileSchema>;

/** A zod path with `fields.<index>` shown as the field number it declares. */
function describePath(raw: unknown, path: PropertyKey[]): string {
  const [head, index, ...rest] = path;
  const declared = (raw as { fields?: Array<{ no?: unknown }> } | null)?.fields;
  if (head === 'fields' && typeof index === 'number' && Array.isArray(declared)) {
    return [`field ${String(declared[index]?.no ?? `#${index}`)}`, ...rest.map(String)].join('.');
  }
  return path.map(String).join('.') || '(root)';
}

function resolveFields(raw: RawProfile, problems: string[]): Map<number, FieldSpec> {
  const fields = new Map<number, FieldSpec>();
  for (const f of raw.fields) {
    const where = `field ${f.no}`;
    if (fields.has(f.no)) problems.push(`${where}: declared twice`);
    if (f.lengthType === 'LL' && f.length > 99) problems.push(`${where}: LL length cannot exceed 99`);
    if (f.format === 'b' && f.subfields) problems.push(`${where}: a binary field has no subfields`);
    const sub = [...(f.subfields ?? [])].sort((a, b) => a.offset - b.offset);
    sub.forEach((s, i) => {
      if (s.offset + s.length > f.length) problems.push(`${where}: subfield ${s.name} runs past the field's length ${f.length}`);
      const prev = sub[i - 1];
      if (prev && prev.offset + prev.length > s.offset) problems.push(`${where}: subfields ${prev.name} and ${s.name} overlap`);
      if (sub.findIndex((o) => o.name === s.name) !== i) problems.push(`${where}: subfield ${s.name} declared twice`);
    });
    fields.set(f.no, {
      no: f.no,
      ...(f.name ? { name: f.name } : {}),
      format: f.format,
      length: f.length,
      lengthType: f.lengthType,
      encoding: f.encoding ?? raw.encoding.numeric,
      lengthEncoding: f.lengthEncoding ?? raw.encoding.lengthPrefix,
      pad: f.pad ?? (f.lengthType === 'fixed' ? 'left' : 'right'),
      ...(f.subfields ? { subfields: sub } : {}),
    });
  }
  return fields;
}

function parseValue(text: string, where: string, problems: string[]): ValueTemplate {
  const variable = /^\{(\w+)\}$/.exec(text)?.[1];
  if (variable !== undefined) {
    if (!(TEMPLATE_VARS as readonly string[]).includes(variable)) problems.push(`${where}: unknown variable {${variable}}`);
    return { variable: variable as TemplateVar };
  }
  if (/[{}]/.test(text)) problems.push(`${where}: a value is a literal or exactly one {variable}`);
  return { literal: text };
}

function resolveMessage(raw: RawProfile['templates'][Operation]['request'], where: string, fields: ReadonlyMap<number, FieldSpec>,
  problems: string[]): MessageTemplate {
  const out = new Map<number, FieldTemplate>();
  for (const [key, value] of Object.entries(raw.fields)) {
    const no = Number(key);
    const at = `${where} field ${no}`;
    const spec = fields.get(no);
    if (!spec) {
      problems.push(`${at}: field ${no} is not declared in "fields"`);
      continue;
    }
    if (typeof value === 'string') {
      const t = parseValue(value, at, problems);
      if ('literal' in t) {
        try {
          encodeField(spec, spec.format === 'b' ? Buffer.from(t.literal, 'hex') : t.literal);
        } catch (err) {
          problems.push(`${at}: literal does not fit the field (${(err as Error).message})`);
        }
      }
      out.set(no, t);
      continue;
    }
    if (!spec.subfields) {
      problems.push(`${at}: parts given but the field declares no subfields`);
      continue;
    }
    const parts: Array<{ offset: number; length: number; value: ValueTemplate }> = [];
    for (const [name, text] of Object.entries(value)) {
      const sub = spec.subfields.find((s) => s.name === name);
      if (!sub) {
        problems.push(`${at}: no subfield named ${name}`);
        continue;
      }
      const v = parseValue(text, `${at}.${name}`, problems);
      if ('literal' in v && v.literal.length !== sub.length) problems.push(`${at}.${name}: literal must be ${sub.length} characters`);
      parts.push({ offset: sub.offset, length: sub.length, value: v });
    }
    parts.sort((a, b) => a.offset - b.offset);
    let next = 0;
    for (const p of parts) {
      if (p.offset !== next) problems.push(`${at}: parts must follow each other from offset 0 (gap or overlap at ${p.offset})`);
      next = p.offset + p.length;
    }
    out.set(no, { parts });
  }
  return { mti: raw.mti, fields: out };
}

const names = (t: MessageTemplate) =>
  new Set([...t.fields.values()].flatMap((f) => ('parts' in f ? f.parts.map((p) => p.value) : [f])).flatMap((v) => ('variable' in v ? [v.variable] : [])));

function resolveTemplates(raw: RawProfile, fields: ReadonlyMap<number, FieldSpec>, problems: string[]): Record<Operation, OperationTemplate> {
  const out = {} as Record<Operation, OperationTemplate>;
  for (const op of OPERATIONS) {
    const t = raw.templates[op];
    const request = resolveMessage(t.request, `templates.${op}.request`, fields, problems);
    const response = resolveMessage(t.response, `templates.${op}.response`, fields, problems);
    // The link matches answers to requests by STAN and terminal id, and reads the response code.
    const needs: Array<[MessageTemplate, string, TemplateVar[]]> = [
      [request, 'request', ['stan', 'terminalId']],
      [response, 'response', ['stan', 'terminalId', 'responseCode']],
    ];
    for (const [msg, dir, vars] of needs) {
      for (const v of vars) if (!names(msg).has(v)) problems.push(`templates.${op}.${dir}: must carry {${v}}`);
      if (t.mac && msg.fields.has(raw.mac.field)) problems.push(`templates.${op}.${dir} field ${raw.mac.field}: the MAC field is filled by the MAC, not the template`);
    }
    if (request.mti === response.mti) problems.push(`templates.${op}: request and response MTI are both ${request.mti}`);
    out[op] = { request, response, mac: t.mac };
  }
  // Both ends find the operation of a message by its MTI and literals: two operations must differ somewhere.
  for (const [i, a] of OPERATIONS.entries()) {
    for (const b of OPERATIONS.slice(i + 1)) {
      for (const dir of ['request', 'response'] as const) {
        if (!distinguishable(out[a][dir], out[b][dir])) {
          problems.push(`templates.${a}.${dir} and templates.${b}.${dir}: same MTI and no literal tells them apart`);
        }
      }
    }
  }
  return out;
}

function distinguishable(a: MessageTemplate, b: MessageTemplate): boolean {
  if (a.mti !== b.mti) return true;
  const theirs = literalsOf(b);
  return literalsOf(a).some((l) => theirs.some((m) => m.no === l.no && m.offset === l.offset && m.text !== l.text));
}

function checkReconciliation(raw: RawProfile, problems: string[]): void {
  const { columns, tradeCodes } = raw.reconciliation;
  const names = columns.map((c) => c.name);
  for (const needed of ['tradeCode', 'stan', 'amount'] as const) {
    if (!names.includes(needed)) problems.push(`reconciliation.columns: no ${needed} column`);
  }
  names.forEach((n, i) => names.indexOf(n) !== i && problems.push(`reconciliation.columns: ${n} declared twice`));
  const codeWidth = columns.find((c) => c.name === 'tradeCode')?.width;
  for (const [kind, code] of Object.entries(tradeCodes)) {
    if (codeWidth !== undefined && code.length !== codeWidth) problems.push(`reconciliation.tradeCodes.${kind}: "${code}" is not ${codeWidth} wide`);
  }
  if (tradeCodes.transfer === tradeCodes.reversal) problems.push('reconciliation.tradeCodes: transfer and reversal share a code');
}

/** Validates an already parsed profile; `source` names it in errors. */
export function parseBankProfile(input: unknown, source: string): BankProfile {
  const raw = parseConfigSection(profileSchema, input, source, { describePath: (path) => describePath(input, path) });
  const problems: string[] = [];
  const fields = resolveFields(raw, problems);
  const macField = fields.get(raw.mac.field);
  if (!macField || macField.format !== 'b' || macField.lengthType !== 'fixed' || macField.length !== MAC_BYTES) {
    problems.push(`mac.field: field ${raw.mac.field} must be declared as b, fixed, ${MAC_BYTES} bytes`);
  }
  if (raw.mac.algorithm === 'x9.19' && raw.workingKeys.keyLength !== 16) problems.push('mac.algorithm: x9.19 needs 16-byte working keys');
  if (raw.timeouts.reconnectMinMs > raw.timeouts.reconnectMaxMs) problems.push('timeouts.reconnectMinMs: exceeds reconnectMaxMs');
  const templates = resolveTemplates(raw, fields, problems);
  checkReconciliation(raw, problems);
  if (problems.length) throw configInvalid(source, problems);
  return {
    id: raw.id,
    source,
    framing: raw.framing,
    mti: raw.mti,
    bitmap: raw.bitmap,
    fields,
    mac: raw.mac,
    workingKeys: raw.workingKeys,
    pinBlock: raw.pinBlock,
    cardBins: raw.cardBins,
    timeouts: raw.timeouts,
    session: raw.session,
    templates,
    reconciliation: raw.reconciliation,
  };
}

export function loadBankProfile(path: string): BankProfile {
  return parseBankProfile(readJsonFile(path), path);
}
