/**
 * An ISO 8583 message as an operator may read it: which operation of the profile it is, and each field with its
 * name, its value as text and its subfields. What must never be kept or shown is taken out here, once, before a
 * message goes anywhere: the card number (field 2, or wherever a template puts {pan}) keeps its first 6 and last 4
 * digits, track data keeps only that masked card number, and the PIN block, the working keys under the TMK and ICC
 * data are replaced by a marker. The MAC is kept: it is a check value, not a key.
 */
import { maskPan } from '../../../common/log.ts';
import type { IsoMessage } from './codec.ts';
import type { FieldValue } from './field-format.ts';
import { OPERATIONS, type BankProfile, type Operation } from './profile.ts';
import { matchesTemplate, type MessageTemplate, type TemplateVar } from './template.ts';

export interface MessageField {
  no: number;
  /** The profile's name for the field, else the template's variable, else `field <no>`. */
  name: string;
  /** Text as sent; binary fields as upper-case hex; masked or a marker where `hidden` says so. */
  value: string;
  hidden?: 'masked' | 'not kept';
  subfields?: Array<{ name: string; value: string }>;
}

export interface MessageView {
  mti: string;
  /** The profile's operation, and whether this is its request or its response; null when no template matches. */
  op: Operation | null;
  kind: 'request' | 'response' | null;
  fields: MessageField[];
}

/** ISO 8583 track 2, track 3 and track 1 data. */
const TRACK_FIELDS = new Set([35, 36, 45]);
const MARKERS: Partial<Record<TemplateVar, string>> = { pinBlock: '(PIN block, not kept)', workingKeys: '(working keys, not kept)' };
const PIN_FIELD = 52;
const ICC_FIELD = 55;

/** The operation whose request or response template `msg` is an instance of. */
export function operationOf(profile: BankProfile, msg: IsoMessage): { op: Operation; kind: 'request' | 'response' } | null {
  for (const op of OPERATIONS) {
    for (const kind of ['request', 'response'] as const) if (matchesTemplate(profile.templates[op][kind], msg)) return { op, kind };
  }
  return null;
}

function variableOf(template: MessageTemplate | undefined, no: number): TemplateVar | undefined {
  const t = template?.fields.get(no);
  return t && 'variable' in t ? t.variable : undefined;
}

/** The card number part of track data (up to the separator), masked. */
function maskTrack(value: string): string {
  const pan = /^%?B?(\d+)/.exec(value)?.[1] ?? '';
  return `${maskPan(pan)} (rest of the track not kept)`;
}

function fieldOf(profile: BankProfile, template: MessageTemplate | undefined, no: number, raw: FieldValue): MessageField {
  const spec = profile.fields.get(no);
  const variable = variableOf(template, no);
  const name = spec?.name ?? variable ?? `field ${no}`;
  const marker = (variable && MARKERS[variable]) ?? (no === PIN_FIELD ? MARKERS.pinBlock : no === ICC_FIELD ? '(ICC data, not kept)' : undefined);
  if (marker) return { no, name, value: marker, hidden: 'not kept' };
  const text = Buffer.isBuffer(raw) ? raw.toString('hex').toUpperCase() : raw;
  if (no === 2 || variable === 'pan') return { no, name, value: maskPan(text), hidden: 'masked' };
  if (TRACK_FIELDS.has(no)) return { no, name, value: maskTrack(text), hidden: 'masked' };
  const subfields = spec?.subfields && !Buffer.isBuffer(raw)
    ? spec.subfields.filter((s) => s.offset < raw.length).map((s) => ({ name: s.name, value: raw.slice(s.offset, s.offset + s.length) }))
    : undefined;
  return { no, name, value: text, ...(subfields ? { subfields } : {}) };
}

export function viewMessage(profile: BankProfile, msg: IsoMessage): MessageView {
  const found = operationOf(profile, msg);
  const template = found ? profile.templates[found.op][found.kind] : undefined;
  const fields = Object.keys(msg.fields).map(Number).sort((a, b) => a - b).map((no) => fieldOf(profile, template, no, msg.fields[no]!));
  return { mti: msg.mti, op: found?.op ?? null, kind: found?.kind ?? null, fields };
}
