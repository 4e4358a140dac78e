/**
 * The card side of the contactless link, as a device: whatever can answer APDUs. A VirtualCard implements it; the
 * in-process reader and the vpcd connector both carry APDUs to any CardDevice, so one card object serves both.
 */
export interface CardDevice {
  readonly atr: Buffer;
  /** Power-on / reset: drops any selected application and session state, keeps persistent state (balance, counters). */
  reset(): void;
  /** Process one command APDU, return the response APDU (data || SW1 SW2). */
  transmit(apdu: Buffer): Buffer;
}
