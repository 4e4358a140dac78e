/**
 * A timer for a wall-clock instant that may be weeks away (an announcement's end): Node's setTimeout holds at most
 * 2^31-1 ms (24.8 days) and fires at once beyond it, so a longer wait is taken in steps, each measured again on `now`.
 */
const MAX_DELAY_MS = 2 ** 31 - 1;

export interface TimerAt {
  cancel(): void;
}

/** Calls `fn` once at `at` (ms since the epoch) on the clock `now`; at once when that has passed. Cancel it to let the process end. */
export function timerAt(at: number, fn: () => void, now: () => number = Date.now): TimerAt {
  let timer: NodeJS.Timeout | undefined;
  const arm = () => {
    const left = at - now();
    timer = left > MAX_DELAY_MS ? setTimeout(arm, MAX_DELAY_MS) : setTimeout(fn, Math.max(0, left));
  };
  arm();
  return { cancel: () => clearTimeout(timer) };
}
