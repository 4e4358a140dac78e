/**
 * Where a message's MAC goes and what it covers, per profile. The MAC field is the last field of a MACed message,
 * so its 8 bytes end the body and the MAC range (MTI up to the MAC field) is everything before them.
 */
import { QuancunError } from '../../../common/errors.ts';
import { unionpayEcbMac, x919Mac } from '../../../common/crypto/mac.ts';
import type { Codec, IsoMessage } from './codec.ts';

export const MAC_ALGORITHMS = ['unionpay-ecb', 'x9.19'] as const;
export type MacAlgorithm = (typeof MAC_ALGORITHMS)[number];

export interface MacSpec {
  algorithm: MacAlgorithm;
  field: number;
  range: 'mti-to-mac';
}

export const MAC_BYTES = 8;

export function computeMac(algorithm: MacAlgorithm, mak: Buffer, data: Buffer): Buffer {
  return algorithm === 'x9.19' ? x919Mac(mak, data) : unionpayEcbMac(mak, data);
}

/** Encodes `msg` with its MAC field set to `mac` of the MAC range. */
export function encodeWithMac(codec: Codec, spec: MacSpec, msg: IsoMessage, mac: (data: Buffer) => Buffer): Buffer {
  if (Object.keys(msg.fields).some((no) => Number(no) > spec.field)) {
    throw new QuancunError('INTERNAL', `a field after MAC field ${spec.field} cannot be covered by the MAC`);
  }
  const body = codec.encode({ mti: msg.mti, fields: { ...msg.fields, [spec.field]: Buffer.alloc(MAC_BYTES) } });
  mac(body.subarray(0, body.length - MAC_BYTES)).copy(body, body.length - MAC_BYTES);
  return body;
}

/** The MAC range and MAC of a received body; null when it carries no MAC or the MAC is not its last field. */
export function macParts(spec: MacSpec, body: Buffer, msg: IsoMessage): { data: Buffer; mac: Buffer } | null {
  const last = Math.max(...Object.keys(msg.fields).map(Number));
  if (last !== spec.field) return null;
  return { data: body.subarray(0, body.length - MAC_BYTES), mac: body.subarray(body.length - MAC_BYTES) };
}
