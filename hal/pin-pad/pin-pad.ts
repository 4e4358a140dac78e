/**
 * The PIN pad device kind: an encrypting PIN pad. The clear PIN exists only inside the pad; the runtime receives an
 * ISO 9564 format-0 PIN block encrypted under the pad's PIN key, which the gateway key store alone can translate.
 * Backends: a serial encrypting pad (real) and a simulator with a device-side keypad handle.
 */
import type { EventEmitter } from 'node:events';

export interface PinEntryRequest {
  /** The 12 rightmost account digits excluding the check digit, as format 0 requires; never logged. */
  pan12: string;
  minLength?: number;
  maxLength?: number;
  signal?: AbortSignal;
}

export interface PinPadEvents {
  /** A key was pressed during PIN entry: only the count of digits is told, never the digits. */
  progress: [digits: number];
  fault: [error: Error];
  ready: [];
}

export interface PinPad extends EventEmitter<PinPadEvents> {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves with the encrypted PIN block (8 bytes); rejects with PIN_ENTRY_CANCELLED on cancel or abort. */
  readPinBlock(request: PinEntryRequest): Promise<Buffer>;
}
