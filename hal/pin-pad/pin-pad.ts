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

export interface PinPadInfo {
  serial: string;
  /** The check value of the PIN key it holds (3 bytes, hex), undefined when it holds none. */
  keyCheckValue: string | undefined;
}

export interface PinPad extends EventEmitter<PinPadEvents> {
  readonly name: string;
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Resolves with the encrypted PIN block (8 bytes); rejects with PIN_ENTRY_CANCELLED on cancel or abort. */
  readPinBlock(request: PinEntryRequest): Promise<Buffer>;
  info(): Promise<PinPadInfo>;
  /**
   * Gives the pad a new PIN key (16 bytes) encrypted under the pad's own transport key, with the clear key's check
   * value (6 hex). Resolves once the pad took and stored it; rejects with PAD_KEY_REFUSED (the pad keeps its old key)
   * or DEVICE_UNAVAILABLE. The clear key is never on the line.
   */
  loadKey(underTransportKey: Buffer, checkValue: string): Promise<void>;
}
