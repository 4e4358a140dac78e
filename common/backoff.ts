/**
 * The one retry rule of quancun, for a bank reconnect, a reversal, a settlement, a posting, a kiosk's recovery pass or
 * a serial device alike: the first wait is `minMs`, each failure in a row doubles it, and it never exceeds `maxMs`.
 */
export interface BackoffPolicy {
  minMs: number;
  maxMs: number;
}

/** The wait after `failures` failures in a row (1 or fewer: `minMs`). */
export function backoffDelay(policy: BackoffPolicy, failures: number): number {
  return Math.min(policy.minMs * 2 ** Math.max(failures - 1, 0), policy.maxMs);
}

/** Counts the failures in a row itself: `next()` after each failure is the wait before the next try, `reset()` after a success. */
export class Backoff {
  #failures = 0;

  constructor(readonly policy: BackoffPolicy) {}

  next(): number {
    return backoffDelay(this.policy, ++this.#failures);
  }

  reset(): void {
    this.#failures = 0;
  }
}
