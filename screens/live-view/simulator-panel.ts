/**
 * What the live view's side panel drives: the simulated hardware of the embedded default (cards on the reader,
 * printer paper, network, the PIN pad). The runtime implements it; the live view server only calls it.
 */
type MaybePromise<T> = T | Promise<T>;

export interface SimulatorCard {
  id: string;
  /** What the panel shows, e.g. "张三明 ****3456 (¥123.50)". */
  label: string;
  present: boolean;
}

export interface SimulatorStatus {
  paperOut: boolean;
  networkUp: boolean;
}

export interface SimulatorReceipt {
  text: string;
  png?: Buffer;
}

export interface SimulatorPanel {
  cards(): MaybePromise<SimulatorCard[]>;
  /** Puts the card on the reader (taking any other card off). */
  tapCard(id: string): MaybePromise<void>;
  removeCard(): MaybePromise<void>;
  status(): MaybePromise<SimulatorStatus>;
  setPaperOut(on: boolean): MaybePromise<void>;
  setNetwork(up: boolean): MaybePromise<void>;
  lastReceipt(): MaybePromise<SimulatorReceipt | null>;
  /** Types on the simulated PIN pad; the screen still learns only the digit count. Absent when there is no pad. */
  typePin?(digits: string): MaybePromise<void>;
}
